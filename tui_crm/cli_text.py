"""What the shell commands say (`tui-crm --help`, `status`, `sync`, `client add`, …), in English
and Russian. The language is the TUI's (cli.command_language); `--json` output is not text and
stays as it is."""

from __future__ import annotations

from tui_crm.i18n import register

_CLI_TEXT: dict[str, dict[str, str]] = {
    # argparse's own words (its gettext message ids), used while the parser is built and parses
    "argparse.usage: ": {"en": "usage: ", "ru": "использование: "},
    "argparse.positional arguments": {"en": "positional arguments", "ru": "позиционные аргументы"},
    "argparse.options": {"en": "options", "ru": "параметры"},
    "argparse.show this help message and exit": {"en": "show this help message and exit",
                                                 "ru": "показать эту справку и выйти"},
    "argparse.%(prog)s: error: %(message)s\n": {"en": "%(prog)s: error: %(message)s\n",
                                                "ru": "%(prog)s: ошибка: %(message)s\n"},
    "argparse.the following arguments are required: %s": {
        "en": "the following arguments are required: %s", "ru": "нужны аргументы: %s"},
    "argparse.unrecognized arguments: %s": {"en": "unrecognized arguments: %s",
                                            "ru": "непонятные аргументы: %s"},
    "argparse.argument %(argument_name)s: %(message)s": {"en": "argument %(argument_name)s: %(message)s",
                                                         "ru": "аргумент %(argument_name)s: %(message)s"},
    "argparse.expected one argument": {"en": "expected one argument", "ru": "нужно одно значение"},
    "argparse.expected at most one argument": {"en": "expected at most one argument",
                                               "ru": "нужно не больше одного значения"},
    "argparse.expected at least one argument": {"en": "expected at least one argument",
                                                "ru": "нужно хотя бы одно значение"},
    "argparse.invalid %(type)s value: %(value)r": {"en": "invalid %(type)s value: %(value)r",
                                                   "ru": "неверное значение (%(type)s): %(value)r"},
    "argparse.invalid choice: %(value)r (choose from %(choices)s)": {
        "en": "invalid choice: %(value)r (choose from %(choices)s)",
        "ru": "нет такого варианта: %(value)r (есть: %(choices)s)"},
    "argparse.ambiguous option: %(option)s could match %(matches)s": {
        "en": "ambiguous option: %(option)s could match %(matches)s",
        "ru": "неоднозначный параметр: %(option)s может означать %(matches)s"},
    "argparse.ignored explicit argument %r": {"en": "ignored explicit argument %r",
                                              "ru": "лишнее значение %r"},
    "argparse.not allowed with argument %s": {"en": "not allowed with argument %s",
                                              "ru": "нельзя вместе с %s"},
    "argparse.one of the arguments %s is required": {"en": "one of the arguments %s is required",
                                                     "ru": "нужен один из аргументов %s"},
    "argparse.unexpected option string: %s": {"en": "unexpected option string: %s",
                                              "ru": "неожиданный параметр: %s"},
    "argparse.can't open '%(filename)s': %(error)s": {"en": "can't open '%(filename)s': %(error)s",
                                                      "ru": "не открыть '%(filename)s': %(error)s"},
    # --help: the commands
    "cli.description": {"en": "Keyboard-driven terminal CRM over 1C:Enterprise accounting.",
                        "ru": "Клавиатурная CRM в терминале поверх учёта 1С:Предприятие."},
    "cli.h.version": {"en": "show the version and exit", "ru": "показать версию и выйти"},
    "cli.h.config": {"en": "settings file (default: $TUI_CRM_CONFIG or the user config folder)",
                     "ru": "файл настроек (по умолчанию: $TUI_CRM_CONFIG или папка настроек пользователя)"},
    "cli.h.store": {"en": "CRM data file (default: per-user data folder)",
                    "ru": "файл данных CRM (по умолчанию: в папке данных пользователя)"},
    "cli.h.url": {"en": "accounting OData base, e.g. https://srv/base/odata/standard.odata/",
                  "ru": "адрес OData учёта, например https://srv/base/odata/standard.odata/"},
    "cli.h.user": {"en": "accounting login (password from $TUI_CRM_PASSWORD)",
                   "ru": "логин в учёте (пароль из $TUI_CRM_PASSWORD)"},
    "cli.h.theme": {"en": "Textual theme name", "ru": "название темы Textual"},
    "cli.h.run": {"en": "open the CRM (the default command)", "ru": "открыть CRM (команда по умолчанию)"},
    "cli.h.demo": {"en": "start the bundled accounting sandbox and the CRM against it",
                   "ru": "запустить встроенную песочницу учёта и CRM с ней"},
    "cli.h.demo.config": {
        "en": "the 1C configuration the sandbox speaks, and the CRM profile with it: ka1 (КА 1.1, default), "
              "ut11 (УТ 11.5), bp3 (БП 3.0); without it an existing demo keeps its own (add --fresh to change)",
        "ru": "конфигурация 1С песочницы и профиль CRM к ней: ka1 (КА 1.1, по умолчанию), ut11 (УТ 11.5), "
              "bp3 (БП 3.0); без него демо сохраняет свою (сменить — с --fresh)"},
    "cli.h.demo.variant": {
        "en": "accounting settings of a new sandbox (bp3: warehouses, the default; batches; "
              "no-warehouses = warehouse accounting off)",
        "ru": "настройки учёта новой песочницы (bp3: warehouses — по умолчанию; batches — партии; "
              "no-warehouses — без складского учёта)"},
    "cli.h.demo.port": {"en": "sandbox port (default: a free one)", "ru": "порт песочницы (по умолчанию: свободный)"},
    "cli.h.products": {"en": "products in a new sandbox (default 200)",
                       "ru": "товаров в новой песочнице (по умолчанию 200)"},
    "cli.h.warehouses": {"en": "warehouses in a new sandbox (default 3)",
                         "ru": "складов в новой песочнице (по умолчанию 3)"},
    "cli.h.pull_seconds": {"en": "pull interval (default 10)",
                           "ru": "интервал загрузки, с (по умолчанию 10)"},
    "cli.h.dir": {"en": "folder for the demo's files (default: user data folder/demo)",
                  "ru": "папка для файлов демо (по умолчанию: папка данных пользователя/demo)"},
    "cli.h.fresh": {"en": "start the demo over with new data", "ru": "начать демо заново с новыми данными"},
    "cli.h.no_history": {
        "en": "a new demo base without its few weeks of invoices, payments and shipments",
        "ru": "новая демо-база без нескольких недель счетов, оплат и отгрузок"},
    "cli.h.hostile": {
        "en": "a new sandbox gets hostile texts (markup, escapes, control characters, 10k strings) in names "
              "and comments; with --fresh for an existing demo",
        "ru": "новая песочница получает враждебные тексты (разметка, escape-последовательности, управляющие "
              "символы, строки по 10 тыс.) в названиях и комментариях; для существующего демо — с --fresh"},
    "cli.h.serve": {"en": "the CRM in a web browser, for operators without a terminal",
                    "ru": "CRM в веб-браузере, для операторов без терминала"},
    "cli.d.serve": {
        "en": "Serve the CRM to a web browser (textual-serve): each tab runs the same app as `tui-crm`, with "
              "the same settings and data file, one tab at a time. There is no login: the default --host "
              "127.0.0.1 lets only this machine in; any other address exposes the CRM without a password "
              "unless a proxy in front of it asks for one. Exit codes: 0 stopped by Ctrl+C, 2 cannot start "
              "(port in use, bad host, data file).",
        "ru": "CRM в веб-браузере (textual-serve): каждая вкладка запускает то же приложение, что `tui-crm`, "
              "с теми же настройками и файлом данных, по одной вкладке за раз. Входа по паролю нет: "
              "--host 127.0.0.1 по умолчанию пускает только с этой машины; любой другой адрес открывает "
              "CRM без пароля, если его не спрашивает прокси перед ней. Коды выхода: 0 — остановлено "
              "Ctrl+C, 2 — не запустить (порт занят, неверный адрес, файл данных)."},
    "cli.h.serve.host": {"en": "address to listen on (default 127.0.0.1: this machine only)",
                         "ru": "адрес для входящих (по умолчанию 127.0.0.1: только эта машина)"},
    "cli.h.serve.port": {"en": "port to listen on (default 8000)", "ru": "порт (по умолчанию 8000)"},
    "cli.h.serve.demo": {
        "en": "serve the demo: the bundled accounting sandbox and the demo's data, as `tui-crm demo`",
        "ru": "показать демо: встроенная песочница учёта и данные демо, как `tui-crm demo`"},
    "cli.h.with_demo": {"en": "with --demo: {help}", "ru": "с --demo: {help}"},
    "cli.h.sync": {"en": "sync with accounting without the TUI (once or until stopped)",
                   "ru": "обмен с учётом без интерфейса (один раз или до остановки)"},
    "cli.h.sync.once": {"en": "one pull and push, then exit (non-zero if it failed)",
                        "ru": "одна загрузка и отправка, затем выход (код не 0 при ошибке)"},
    "cli.h.sync.full": {"en": "re-read the whole mirror, not only what changed",
                        "ru": "перечитать всё зеркало, а не только изменения"},
    "cli.h.sync.accept_shrink": {
        "en": "apply a full pull even if a catalogue (products, warehouses, price types, counterparties) "
              "shrank by more than sync.max_shrink_percent or to empty",
        "ru": "применить полную загрузку, даже если справочник (товары, склады, типы цен, контрагенты) "
              "уменьшился больше чем на sync.max_shrink_percent или опустел"},
    "cli.h.sync.no_push": {"en": "do not send the outbox", "ru": "не отправлять очередь"},
    "cli.h.sync.quiet": {"en": "no progress on stderr", "ru": "без хода загрузки в stderr"},
    "cli.h.status": {"en": "look up invoices and clients by number, name, phone or ИНН",
                     "ru": "найти счета и клиентов по номеру, названию, телефону или ИНН"},
    "cli.h.status.query": {"en": "invoice number, client name, phone or ИНН",
                           "ru": "номер счёта, название клиента, телефон или ИНН"},
    "cli.h.json": {"en": "machine-readable output", "ru": "машиночитаемый вывод (JSON)"},
    "cli.h.client": {"en": "add a client from a shell (same checks and outbox as the card)",
                     "ru": "добавить клиента из оболочки (те же проверки и очередь, что в карточке)"},
    "cli.h.client.add": {"en": "add a client and queue it for accounting",
                         "ru": "добавить клиента и поставить в очередь в учёт"},
    "cli.d.client.add": {
        "en": "Add a client, checked as the card checks it, and queue it for accounting (sent by "
              "`tui-crm sync --once` or a running TUI). Exit codes: 0 saved, 1 refused (a field breaks a "
              "rule; --unique and a duplicate), 2 usage or store error.",
        "ru": "Добавить клиента с проверками карточки и поставить в очередь в учёт (отправит "
              "`tui-crm sync --once` или запущенная CRM). Коды выхода: 0 — сохранён, 1 — отказ (поле "
              "нарушает правило; --unique и дубль), 2 — ошибка вызова или файла данных."},
    "cli.h.client.name": {"en": "name as the list shows it (required)",
                          "ru": "название, как в списке (обязательно)"},
    "cli.h.client.full_name": {"en": "full legal name (default: the name)",
                               "ru": "полное наименование (по умолчанию: название)"},
    "cli.h.client.kind": {"en": "company (default), sole-proprietor or individual",
                          "ru": "company — юрлицо (по умолчанию), sole-proprietor — ИП, individual — физлицо"},
    "cli.h.client.inn": {"en": "ИНН: 10 digits for a company, 12 for a person",
                         "ru": "ИНН: 10 цифр у юрлица, 12 у ИП и физлица"},
    "cli.h.client.kpp": {"en": "КПП (companies)", "ru": "КПП (у юрлиц)"},
    "cli.h.client.phone": {"en": "a phone; repeat for more", "ru": "телефон; повторите для нескольких"},
    "cli.h.client.email": {"en": "e-mail", "ru": "адрес e-mail"},
    "cli.h.client.address": {"en": "address", "ru": "адрес"},
    "cli.h.comment": {"en": "comment", "ru": "комментарий"},
    "cli.h.client.unique": {
        "en": "refuse when a client with the same ИНН or phone exists (default: warn)",
        "ru": "отказать, если есть клиент с тем же ИНН или телефоном (по умолчанию: предупредить)"},
    "cli.h.client.json": {
        "en": "answer in JSON (the saved client); with FILE ('-': stdin) also read the fields from the JSON "
              "object in it (options win over it)",
        "ru": "ответ в JSON (сохранённый клиент); с FILE ('-': stdin) поля берутся и из JSON-объекта в нём "
              "(параметры важнее)"},
    "cli.h.invoice": {"en": "write an invoice from a shell (same checks and outbox as the editor)",
                      "ru": "выписать счёт из оболочки (те же проверки и очередь, что в редакторе)"},
    "cli.h.invoice.add": {"en": "write an invoice and queue it for accounting",
                          "ru": "выписать счёт и поставить в очередь в учёт"},
    "cli.d.invoice.add": {
        "en": "Write an invoice, checked as the editor checks it, and queue it for accounting (sent by "
              "`tui-crm sync --once` or a running TUI). Exit codes: 0 saved, 1 refused (unknown client, "
              "warehouse or product, no price, a bad quantity or discount), 2 usage or store error.",
        "ru": "Выписать счёт с проверками редактора и поставить в очередь в учёт (отправит "
              "`tui-crm sync --once` или запущенная CRM). Коды выхода: 0 — сохранён, 1 — отказ (нет такого "
              "клиента, склада или товара, нет цены, неверное количество или скидка), 2 — ошибка вызова "
              "или файла данных."},
    "cli.h.invoice.client": {"en": "client name, ИНН, accounting code or id (required)",
                             "ru": "название клиента, ИНН, код в учёте или id (обязательно)"},
    "cli.h.invoice.warehouse": {"en": "warehouse name (or a part only it has) or id (required)",
                                "ru": "название склада (или его уникальная часть) или id (обязательно)"},
    "cli.h.invoice.price_type": {"en": "price type name or id (default: the first, as the editor)",
                                 "ru": "тип цен, название или id (по умолчанию: первый, как в редакторе)"},
    "cli.h.invoice.line": {
        "en": "a product by code or article, its quantity and discount %%; repeat for more",
        "ru": "товар по коду или артикулу, количество и скидка %%; повторите для нескольких"},
    "cli.h.invoice.discount": {"en": "whole-invoice discount %%", "ru": "скидка на весь счёт, %%"},
    "cli.h.invoice.date": {"en": "document date, 30.11.2026 or 2026-11-30 (default: today)",
                           "ru": "дата документа, 30.11.2026 или 2026-11-30 (по умолчанию: сегодня)"},
    "cli.h.invoice.json": {
        "en": "answer in JSON (the saved invoice); with FILE ('-': stdin) also read the fields from the JSON "
              "object in it (options win over it)",
        "ru": "ответ в JSON (сохранённый счёт); с FILE ('-': stdin) поля берутся и из JSON-объекта в нём "
              "(параметры важнее)"},
    "cli.h.doctor": {"en": "check that the accounting publication has everything the profile needs",
                     "ru": "проверить, что в публикации учёта есть всё, что нужно профилю"},
    "cli.d.doctor": {
        "en": "Connect with the configured URL and login, check the URL's shape, the login and the rights "
              "(allowedOnly), read $metadata, and list every entity set, table part and field the profile "
              "needs that this publication lacks; recognise the configuration and suggest a profile. Exit "
              "codes: 0 ready, 1 something must be published (or the profile does not match the base), 2 "
              "cannot connect or log in.",
        "ru": "Подключиться по заданному адресу и логину, проверить вид адреса, вход и права (allowedOnly), "
              "прочитать $metadata и перечислить все объекты, табличные части и поля, которые нужны профилю "
              "и которых нет в публикации; узнать конфигурацию и предложить профиль. Коды выхода: 0 — всё "
              "готово, 1 — что-то нужно опубликовать (или профиль не подходит к базе), 2 — нет связи или "
              "входа."},
    "cli.h.doctor.profile": {"en": "profile to check against (default: accounting.profile)",
                             "ru": "профиль для проверки (по умолчанию: accounting.profile)"},
    "cli.h.config_cmd": {"en": "show where settings, data and logs live, and the effective settings",
                         "ru": "показать, где лежат настройки, данные и журналы, и действующие настройки"},
    "cli.h.sandbox": {"en": "the bundled 1C-like accounting endpoint and the clerk's actions "
                            "(`tui-crm sandbox --help`)",
                      "ru": "встроенная песочница учёта, похожая на 1С, и действия бухгалтера "
                            "(`tui-crm sandbox --help`)"},
    # messages
    "cli.no_url_local": {
        "en": "tui-crm: no accounting URL configured; working on the local mirror only "
              "(set accounting.url in {path} or TUI_CRM_URL).",
        "ru": "tui-crm: адрес учёта не задан; работаем только с локальной копией "
              "(задайте accounting.url в {path} или TUI_CRM_URL)."},
    "cli.serve_demo_drop": {
        "en": "tui-crm serve: --demo brings its own sandbox and data; drop {flags} (or drop --demo to serve "
              "your own)",
        "ru": "tui-crm serve: у --demo своя песочница и данные; уберите {flags} (или уберите --demo, чтобы "
              "показать свои)"},
    "cli.pull_seconds_low": {"en": "{prog}: --pull-seconds {value} must be above 0",
                             "ru": "{prog}: --pull-seconds {value}: нужно число больше 0"},
    "cli.pull_seconds_range": {"en": "{prog}: --pull-seconds {value} must be a number from {low} to {high}",
                               "ru": "{prog}: --pull-seconds {value}: нужно число от {low} до {high}"},
    "cli.no_sandbox": {
        "en": "tui-crm: the accounting sandbox is not installed (no module {name}); get it with: "
              "pip install 'tui-crm[sandbox]'  (or `make demo` from a checkout)",
        "ru": "tui-crm: песочница учёта не установлена (нет модуля {name}); установите: "
              "pip install 'tui-crm[sandbox]'  (или `make demo` в копии исходников)"},
    "cli.demo_folder_file": {"en": "it is a file, not a folder", "ru": "это файл, а не папка"},
    "cli.demo_folder_bad": {"en": "tui-crm demo: the demo's folder {folder} cannot be used: {why}",
                            "ru": "tui-crm demo: папку демо {folder} нельзя использовать: {why}"},
    "cli.starting_sandbox": {"en": "Starting the accounting sandbox…", "ru": "Запуск песочницы учёта…"},
    "cli.demo_mismatch": {"en": "tui-crm demo: {error} (tui-crm demo --fresh starts over)",
                          "ru": "tui-crm demo: {error} (tui-crm demo --fresh начнёт заново)"},
    "cli.port_busy": {"en": "it is already in use", "ru": "он уже занят"},
    "cli.demo_port": {
        "en": "tui-crm demo: the sandbox cannot listen on 127.0.0.1 port {port}: {why}; choose another with "
              "--port, or leave --port out for a free one",
        "ru": "tui-crm demo: песочница не может слушать 127.0.0.1, порт {port}: {why}; выберите другой через "
              "--port или уберите --port — возьмётся свободный"},
    "cli.demo_started": {
        "en": "Sandbox: {url}\nCRM data: {store}\nLog: {log}\nAccounting clerk, in another shell: "
              "tui-crm sandbox orders | post N | pay N --amount X | ship N",
        "ru": "Песочница: {url}\nДанные CRM: {store}\nЖурнал: {log}\nБухгалтер, в другой оболочке: "
              "tui-crm sandbox orders | post N | pay N --amount X | ship N"},
    "cli.demo_bad_port": {
        "en": "tui-crm demo: --port {port} is not a port number (1-65535; 0 or none: a free one)",
        "ru": "tui-crm demo: --port {port} — не номер порта (1-65535; 0 или без него — свободный)"},
    "cli.demo_history": {
        "en": "Writing a few weeks of invoices, payments and shipments into the demo's accounting…",
        "ru": "Записываем в учёт демо несколько недель счетов, оплат и отгрузок…"},
    "cli.skipped": {"en": "  skipped: {error}", "ru": "  пропущено: {error}"},
    "cli.progress": {"en": "sync: {label}{bar}{pct} {done} rows", "ru": "обмен: {label}{bar}{pct} строк: {done}"},
    # the pull's stages as `sync` shows its progress (tui_crm.sync.pull / changes: their labels)
    "cli.stage.counterparties": {"en": "counterparties", "ru": "контрагенты"},
    "cli.stage.warehouses": {"en": "warehouses", "ru": "склады"},
    "cli.stage.price types": {"en": "price types", "ru": "типы цен"},
    "cli.stage.units": {"en": "units", "ru": "единицы"},
    "cli.stage.products": {"en": "products", "ru": "товары"},
    "cli.stage.prices": {"en": "prices", "ru": "цены"},
    "cli.stage.stock": {"en": "stock", "ru": "остатки"},
    "cli.stage.reserves": {"en": "reserves", "ru": "резервы"},
    "cli.stage.saving": {"en": "saving", "ru": "запись"},
    # what the push sends (outbox kinds), in `sync`'s list of refused items
    "cli.kind.client": {"en": "client", "ru": "клиент"},
    "cli.kind.invoice": {"en": "invoice", "ru": "счёт"},
    "cli.kind.reserve": {"en": "reserve", "ru": "резерв"},
    "cli.kind.shipment": {"en": "shipment", "ru": "отгрузка"},
    "cli.progress_of": {"en": " of {total}", "ru": " из {total}"},
    "cli.sync_no_url": {"en": "tui-crm sync: no accounting URL; pass --url or set accounting.url",
                        "ru": "tui-crm sync: не задан адрес учёта; укажите --url или accounting.url"},
    "cli.pull_failed": {"en": "pull failed: {error}", "ru": "загрузка не удалась: {error}"},
    "cli.sync_not_started": {"en": "tui-crm sync: the sync did not start: {error}",
                             "ru": "tui-crm sync: синхронизация не запущена: {error}"},
    "cli.pulled": {"en": "pulled {rows} rows in {seconds} s ({requests} requests)",
                   "ru": "загружено строк: {rows} за {seconds} с (запросов: {requests})"},
    "cli.pushed": {"en": "pushed {pushed}, failed {failed}, waiting {waiting}",
                   "ru": "отправлено: {pushed}, с ошибкой: {failed}, ждут: {waiting}"},
    "cli.push_offline": {"en": "; accounting unreachable: {error}", "ru": "; учёт недоступен: {error}"},
    "cli.demo_note": {"en": "(the running demo's data: {store}; accounting {url})",
                      "ru": "(данные запущенного демо: {store}; учёт {url})"},
    "cli.store_missing": {
        "en": "{prog}: the CRM data file {path} does not exist; check --store / TUI_CRM_STORE / store.path "
              "(tui-crm or tui-crm sync creates it on first use).",
        "ru": "{prog}: файл данных CRM {path} не существует; проверьте --store / TUI_CRM_STORE / store.path "
              "(tui-crm или tui-crm sync создаёт его при первом запуске)."},
    "cli.store_in_use_add": {
        "en": "{prog}: the CRM data file {path} is in use by a running tui-crm; add it there, or quit it and "
              "run this again (its push sends what this command queues).",
        "ru": "{prog}: файл данных CRM {path} занят запущенной tui-crm; добавьте там или закройте её и "
              "повторите (её отправка передаст то, что поставит в очередь эта команда)."},
    "cli.warning": {"en": "{prog}: warning: {text}", "ru": "{prog}: предупреждение: {text}"},
    "cli.unexpected": {
        "en": "tui-crm: unexpected error ({error}); run again with TUI_CRM_DEBUG=1 for the details",
        "ru": "tui-crm: непредвиденная ошибка ({error}); запустите снова с TUI_CRM_DEBUG=1 для подробностей"},
    # `tui-crm config`
    "cli.cfg.file": {"en": "config file : {path}{note}", "ru": "файл настроек : {path}{note}"},
    "cli.cfg.not_created": {"en": " (not created; defaults in use)",
                            "ru": " (не создан; действуют значения по умолчанию)"},
    "cli.cfg.dir": {"en": "config dir  : {path}", "ru": "папка настроек: {path}"},
    "cli.cfg.store": {"en": "store       : {path}", "ru": "данные CRM    : {path}"},
    "cli.cfg.logs": {"en": "logs        : {path}", "ru": "журналы       : {path}"},
    "cli.cfg.demo": {"en": "demo folder : {path} (`tui-crm demo`: its sandbox and CRM data; {state})",
                     "ru": "папка демо    : {path} (`tui-crm demo`: его песочница и данные CRM; {state})"},
    "cli.cfg.demo_running": {"en": "running now: accounting {url}, store {store}",
                             "ru": "запущено: учёт {url}, данные {store}"},
    "cli.cfg.demo_stopped": {"en": "not running now", "ru": "сейчас не запущено"},
    "cli.cfg.accounting": {
        "en": "accounting  : {url} as {user}; profile {profile}; password from {password}",
        "ru": "учёт          : {url}, логин {user}; профиль {profile}; пароль из {password}"},
    "cli.cfg.not_set": {"en": "(not set)", "ru": "(не задан)"},
    "cli.cfg.no_login": {"en": "(no login)", "ru": "(без логина)"},
    "cli.cfg.file_word": {"en": "file {path}", "ru": "файла {path}"},
    "cli.cfg.sync": {
        "en": "sync        : pull every {pull} s; live rows every {live} s; a pull cycle stopped after "
              "{deadline} s; a catalogue may shrink by {shrink} % per pull; at most {push} push requests "
              "in flight",
        "ru": "обмен         : загрузка каждые {pull} с; строки на экране каждые {live} с; цикл загрузки "
              "прерывается через {deadline} с; справочник может уменьшиться на {shrink} % за загрузку; "
              "не больше {push} запросов отправки одновременно"},
    "cli.cfg.requests": {
        "en": "requests    : timeout {timeout} s; pages of {page} rows, at most {pages} per collection; "
              "TLS certificates {tls}",
        "ru": "запросы       : тайм-аут {timeout} с; страницы по {page} строк, не больше {pages} на "
              "коллекцию; сертификаты TLS {tls}"},
    "cli.cfg.verified": {"en": "verified", "ru": "проверяются"},
    "cli.cfg.not_verified": {"en": "NOT verified", "ru": "НЕ проверяются"},
    "cli.cfg.interface": {"en": "interface   : language {lang}, theme {theme}",
                          "ru": "интерфейс     : язык {lang}, тема {theme}"},
}

register(_CLI_TEXT)

register({
    # `tui-crm status`
    "status.cmd.blank": {
        "en": "tui-crm status: type a client name, phone, ИНН or invoice number to look up",
        "ru": "tui-crm status: введите название, телефон, ИНН или номер счёта для поиска"},
    "status.cmd.too_long": {"en": "tui-crm status: the search text is too long ({n} characters; at most {max})",
                            "ru": "tui-crm status: слишком длинный текст поиска (символов: {n}; "
                                  "можно не больше {max})"},
    "status.cmd.in_use_no_url": {
        "en": "tui-crm status: the CRM data file is in use by a running tui-crm and no accounting URL is "
              "configured to ask instead.",
        "ru": "tui-crm status: файл данных CRM занят запущенной tui-crm, а адрес учёта, чтобы спросить там, "
              "не задан."},
    "status.cmd.cannot_ask": {
        "en": "tui-crm status: the CRM data file is in use, and accounting cannot be asked: {error}",
        "ru": "tui-crm status: файл данных CRM занят, а спросить учёт нельзя: {error}"},
    "status.cmd.could_not_ask": {
        "en": "tui-crm status: the CRM data file is in use, and accounting could not be asked: {error}",
        "ru": "tui-crm status: файл данных CRM занят, и спросить учёт не удалось: {error}"},
    "status.cmd.from_accounting": {
        "en": "The CRM data file is in use by a running tui-crm; answering from accounting directly.",
        "ru": "Файл данных CRM занят запущенной tui-crm; ответ — прямо из учёта."},
    "status.cmd.col.number": {"en": "Number", "ru": "Номер"},
    "status.cmd.col.client": {"en": "Client", "ru": "Клиент"},
    "status.cmd.col.total": {"en": "Total", "ru": "Сумма"},
    "status.cmd.col.paid": {"en": "Paid", "ru": "Оплата"},
    "status.cmd.col.shipped": {"en": "Shipped", "ru": "Отгрузка"},
    "status.cmd.col.state": {"en": "State", "ru": "Состояние"},
    "status.cmd.col.data": {"en": "Data", "ru": "Данные"},
    "status.cmd.col.inn": {"en": "ИНН", "ru": "ИНН"},
    "status.cmd.col.debt": {"en": "Debt", "ru": "Долг"},
    "status.cmd.posted": {"en": "posted, locked", "ru": "проведён, закрыт"},
    "status.cmd.no_number": {"en": "(not yet)", "ru": "(ещё нет)"},
    "status.cmd.nothing": {"en": "Nothing found.", "ru": "Ничего не найдено."},
    "status.cmd.age.never": {"en": "never", "ru": "никогда"},
    "status.cmd.age.live": {"en": "live", "ru": "сейчас"},
    "status.cmd.age.ago": {"en": "{age} ago", "ru": "{age} назад"},
})
