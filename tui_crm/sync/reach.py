"""Why accounting could not be reached, and every other error of the sync, in the operator's words
— one text for `tui-crm doctor` and for the sync (its log, the status bar, `tui-crm sync`), in
English and Russian.

The classification is `tui_crm.sync.odata.connect_failure` (the client marks each `Unreachable`
with it); the words are registered here, under the keys doctor's findings use. The OData package
imports nothing of tui_crm: its errors keep their sentence as pieces (`Words`: a key of
``odata.errors.TEXT`` and its values — host, request, attempts, status, 1C's own message), and
`error_words` words them in the interface language. ``str(exc)`` stays English (the log files).
"""

from __future__ import annotations

from tui_crm.i18n import register, tr
from tui_crm.sync.odata import ODataError, Unreachable, Worded, word
from tui_crm.sync.odata.errors import TEXT

register({
    "connect.dns": {
        "en": "The server name {host} is not known (DNS). Check the spelling, or use its IP address.",
        "ru": "Имя сервера {host} не находится (DNS). Проверьте написание или укажите IP-адрес.",
    },
})

_RU: dict[str, str] = {
    "odata.lead.error": "Учёт (1С) вернул ошибку.",
    "odata.lead.unreachable": "Учёт (1С) недоступен.",
    "odata.lead.not_odata": "Учёт ответил HTML-страницей или другим содержимым, не OData, — проверьте публикацию и "
                            "веб-сервер.",
    "odata.lead.auth": "Учёт (1С) отказал в доступе: проверьте имя пользователя, пароль и права пользователя.",
    "odata.lead.not_found": "В учёте (1С) нет такого объекта или набора сущностей.",
    "odata.lead.conflict": "Объект изменён в учёте после того, как был прочитан; перечитайте его и повторите.",
    "odata.lead.key_exists": "В учёте (1С) уже есть объект с таким ключом.",
    "odata.lead.tls": "TLS-сертификат учёта не принят.",
    "odata.lead.too_large": "Учёт (1С) прислал слишком большой ответ; чтение остановлено.",
    "odata.lead.paging": "Учёт (1С) присылает страницы без конца; чтение остановлено.",
    "odata.lead.malformed": "Учёт прислал испорченный ответ JSON (ключ повторяется дважды); чтение остановлено.",
    "odata.lead.business": "Учёт (1С) отказался выполнить операцию.",
    "odata.gone": "{entity} {key}: такого объекта в учёте (1С) нет.",
    "odata.size.b": "{n_ru} байт",
    "odata.size.kb": "{n_ru} КБ",
    "odata.size.mb": "{n_ru} МБ",
    "odata.says": " 1С сообщает: «{message}»",
    "odata.code": "код 1С {code}",
    "odata.unreachable": "Учёт (1С) на {host} недоступен: {what} ({request}).",
    "odata.what.dns": "имя сервера {host} не находится (DNS)",
    "odata.what.connect": "не удалось подключиться к серверу",
    "odata.what.pool": "нет свободного соединения с сервером",
    "odata.what.timeout": "сервер не ответил вовремя",
    "odata.what.dropped": "соединение оборвалось до ответа",
    "odata.what.network": "ошибка сети ({name})",
    "odata.gave_up": " Прекращено после {n} попыток.",
    "odata.tls.not_https": (
        "Учёт (1С) на {where} не отвечает по https на этом порту ({reason}): сервер там говорит на другом "
        "протоколе, скорее всего на обычном http; запишите адрес с http:// или укажите порт, на котором "
        "опубликован его https ({request})."
    ),
    "odata.tls.certificate": (
        "Учёт (1С) на {host}: TLS-сертификат сервера не принят ({reason}). Если у сервера самоподписанный "
        "сертификат или сертификат от центра сертификации вашей компании, укажите в SSL_CERT_FILE набор "
        "корневых сертификатов, в который он входит; accounting.verify_tls = false отключает проверку "
        "(не рекомендуется) ({request})."
    ),
    "odata.redirect": "Учёт перенаправил запрос на {target} вместо ответа OData — проверьте публикацию и "
                      "веб-сервер (HTTP {status}, {request}).",
    "odata.redirect.metadata": "Учёт перенаправил запрос на {target} вместо ответа — проверьте публикацию и "
                               "веб-сервер (HTTP {status}, {request}).",
    "odata.elsewhere": "другой адрес",
    "odata.no_ctype": "без указания типа",
    "odata.not_json": "Учёт ответил содержимым {ctype}, а не JSON OData, — проверьте публикацию и веб-сервер "
                      "(HTTP {status}, {request}).",
    "odata.broken_json": "Учёт прислал испорченный ответ JSON — проверьте публикацию и веб-сервер "
                         "(HTTP {status}, {request}).",
    "odata.not_odata_json": "Учёт ответил JSON, который не является {what} OData 1С, — проверьте публикацию и "
                            "веб-сервер (HTTP {status}, {request}).",
    "odata.what.answer": "ответом",
    "odata.what.entity": "объектом",
    "odata.too_large": (
        "Учёт (1С) прислал больше {limit} в одном ответе; чтение остановлено, чтобы не переполнить память. "
        "Уменьшите accounting.page_size или увеличьте accounting.max_page_mb, если базе это действительно "
        "нужно ({request})."
    ),
    "odata.paging.top": "Учёт не соблюдает постраничное чтение ($top={size}) для {entity}: строк в ответе: {rows}; "
                        "чтение остановлено.",
    "odata.paging.skip": "Учёт не соблюдает постраничное чтение ($skip={skip}) для {entity}: страница {page} "
                         "повторяет предыдущую; чтение остановлено.",
    "odata.paging.cap": "Учёт прислал больше {pages} страниц для {entity} (по {size} на странице); чтение остановлено "
                        "(увеличьте accounting.max_pages, если база действительно так велика).",
    "odata.paging.key": "Учёт не соблюдает постраничное чтение {entity} ($top={size} по {key}); чтение остановлено.",
    "odata.paging.one_key": "Учёт прислал полную страницу с одним значением {key} для {entity}; увеличьте "
                            "accounting.page_size.",
    "odata.paging.no_key": "Учёт прислал строку без годного {key} для {entity}; чтение остановлено.",
    "odata.malformed": (
        "Учёт прислал испорченный ответ JSON: ключ {key} встречается в одном объекте дважды, такой странице "
        "нельзя доверять; чтение остановлено, прежние данные сохранены (HTTP {status}, {request})."
    ),
    "odata.metadata.too_large": "Ответ $metadata от учёта больше {size}; чтение остановлено (у настоящей базы "
                                "1С — 10–15 МБ) ({request}).",
    "odata.metadata.too_late": "Ответ $metadata от учёта не пришёл за {seconds} с; чтение остановлено ({request}).",
    "odata.count": "Учёт ответил на запрос количества не числом — проверьте публикацию и веб-сервер ({entity}).",
    "odata.no_rows": "Учёт ответил без списка строк ('value') там, где ожидался набор строк OData, — проверьте "
                     "публикацию и веб-сервер ({entity}).",
}
register({key: {"en": en, "ru": _RU[key]} for key, en in TEXT.items()})


def unreachable_words(exc: BaseException) -> str | None:
    """The operator's sentence for a failure the doctor names too (a server name that does not
    resolve), in the interface language; None for any other error."""
    if isinstance(exc, Unreachable) and exc.reason == "dns":
        return tr("connect.dns", host=exc.host)
    return None


def error_words(exc: BaseException) -> str | None:
    """An accounting error's sentence in the interface language (a DNS failure as the doctor says
    it), or a profile's; None for an error that is neither the OData client's nor a profile's."""
    said = unreachable_words(exc)
    if said is not None:
        return said
    if isinstance(exc, ODataError | Worded):   # a profile's, the push's refusals
        return word(exc.words, lambda key: str(tr(key)))
    return None
