"""`tui-crm doctor`: word `tui_crm.sync.doctor`'s report for a person (English or Russian) or as
JSON, and choose the exit code: 0 ready, 1 something must be published (or the profile does not
match), 2 cannot connect or log in (or the URL cannot be a standard OData base).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from tui_crm.config import ConfigError, Settings
from tui_crm.i18n import register, tr
from tui_crm.sync.doctor import (
    EXIT_CANNOT_CONNECT,
    Finding,
    Report,
    check_url,
    diagnose,
    metadata_object,
)
from tui_crm.sync.needs import Need
from tui_crm.sync.profile import ProfileError, load_profile
from tui_crm.sync.reach import error_words

register({
    "doctor.title": {"en": "tui-crm doctor: {url}", "ru": "tui-crm doctor: {url}"},
    "doctor.profile": {"en": "profile: {name} ({title})", "ru": "профиль: {name} ({title})"},
    "doctor.no_url": {
        "en": "No accounting URL: pass --url or set accounting.url (e.g. "
              "https://server/base/odata/standard.odata/).",
        "ru": "Не задан адрес учёта: укажите --url или accounting.url (например "
              "https://server/base/odata/standard.odata/).",
    },
    "doctor.typed": {"en": "you typed:  {url}", "ru": "указано:    {url}"},
    "doctor.expected": {"en": "expected:   {url}", "ru": "ожидается:  {url}"},
    "url.invalid": {"en": "This is not a valid address.", "ru": "Это не адрес."},
    "url.not_http": {
        "en": "The address must start with https:// (or http://) and name a server.",
        "ru": "Адрес должен начинаться с https:// (или http://) и называть сервер.",
    },
    "url.credentials": {
        "en": "Put the login in accounting.username and the password in an environment variable, "
              "not in the address.",
        "ru": "Логин укажите в accounting.username, пароль — в переменной окружения, а не в адресе.",
    },
    "url.query": {
        "en": "The base address carries no query (?…) or fragment (#…).",
        "ru": "В адресе базы не бывает параметров (?…) и фрагмента (#…).",
    },
    "url.no_odata_segment": {
        "en": "The address lacks /odata/ before standard.odata.",
        "ru": "В адресе нет /odata/ перед standard.odata.",
    },
    "url.metadata_suffix": {
        "en": "The address ends in {tail}: give the base, without $metadata.",
        "ru": "Адрес заканчивается на {tail}: нужен адрес базы, без $metadata.",
    },
    "url.entity_path": {
        "en": "The address goes on past standard.odata ({tail}): give the base only.",
        "ru": "Адрес продолжается после standard.odata ({tail}): нужен только адрес базы.",
    },
    "url.web_client": {
        "en": "This is the web client's address (…/{segment}/), not the OData interface's.",
        "ru": "Это адрес веб-клиента (…/{segment}/), а не интерфейса OData.",
    },
    "url.http_service": {
        "en": "This is an HTTP service's address (…/hs/…), not the standard OData interface's.",
        "ru": "Это адрес HTTP-сервиса (…/hs/…), а не стандартного интерфейса OData.",
    },
    "url.no_standard_odata": {
        "en": "The address lacks standard.odata after /odata/.",
        "ru": "В адресе нет standard.odata после /odata/.",
    },
    "url.no_suffix": {
        "en": "A standard OData base address ends in /odata/standard.odata/.",
        "ru": "Адрес стандартного интерфейса OData заканчивается на /odata/standard.odata/.",
    },
    "url.no_publication": {
        "en": "Note: no publication name before /odata/ (usually https://server/<base>/odata/…).",
        "ru": "Внимание: перед /odata/ нет имени публикации (обычно https://server/<база>/odata/…).",
    },
    "url.plain_http": {
        "en": "Note: plain http to {host} sends the password unencrypted; publish over https.",
        "ru": "Внимание: по http пароль к {host} идёт открытым текстом; публикуйте по https.",
    },
    # "connect.dns": tui_crm.sync.reach (the sync says it in the same words)
    "connect.refused": {
        "en": "{host} refused the connection: no web server listens on that port. Check the port "
              "and that the web server (Apache/IIS) with the publication runs.",
        "ru": "{host} отказал в соединении: на этом порту нет веб-сервера. Проверьте порт и что "
              "веб-сервер (Apache/IIS) с публикацией запущен.",
    },
    "connect.timeout": {
        "en": "{host} did not answer in time (firewall, VPN, or a busy server).",
        "ru": "{host} не ответил вовремя (межсетевой экран, VPN или перегруженный сервер).",
    },
    "connect.tls": {"en": "{detail}", "ru": "{detail}"},
    "connect.failed": {"en": "Could not connect: {detail}", "ru": "Не удалось подключиться: {detail}"},
    "auth.login": {
        "en": "1C refused the login {user!r} (HTTP 401): check the user name and the password "
              "(from accounting.password_env / password_file).",
        "ru": "1С не принял пользователя {user!r} (HTTP 401): проверьте имя и пароль "
              "(accounting.password_env / password_file).",
    },
    "auth.no_login": {
        "en": "1C asks for a login (HTTP 401): set accounting.username (or --user) and the password.",
        "ru": "1С требует вход (HTTP 401): задайте accounting.username (или --user) и пароль.",
    },
    "auth.forbidden": {
        "en": "1C let {user!r} in but refused the request (HTTP 403): give the user the right to "
              "use the standard OData interface (a role with «Стандартный интерфейс OData»).",
        "ru": "1С пустил {user!r}, но отказал в запросе (HTTP 403): дайте пользователю право на "
              "стандартный интерфейс OData (роль с правом «Стандартный интерфейс OData»).",
    },
    "auth.rights": {
        "en": "1C refused {user!r} for lack of rights (code 20): {detail}",
        "ru": "1С отказал {user!r}: недостаточно прав (код 20): {detail}",
    },
    "publication.missing": {
        "en": "Nothing is published at this address (HTTP 404): check the publication name, and "
              "that the publication has the standard OData interface turned on (Designer → "
              "Administration → Publish on web server → «Publish standard OData interface»).",
        "ru": "По этому адресу ничего не опубликовано (HTTP 404): проверьте имя публикации и что в "
              "ней включён стандартный интерфейс OData (Конфигуратор → Администрирование → "
              "Публикация на веб-сервере → «Публиковать стандартный интерфейс OData»).",
    },
    "publication.not_odata": {
        "en": "The address answers, but not with 1C OData: {detail}",
        "ru": "Адрес отвечает, но не как OData 1С: {detail}",
    },
    "publication.error": {"en": "1C answered with an error: {detail}", "ru": "1С ответил ошибкой: {detail}"},
    "metadata.unreadable": {
        "en": "The publication's $metadata could not be read: {detail}",
        "ru": "Не удалось прочитать $metadata публикации: {detail}",
    },
    "metadata.empty": {
        "en": "The publication lists no objects at all: add the objects below to the standard "
              "OData interface's composition.",
        "ru": "В публикации нет ни одного объекта: добавьте объекты ниже в состав стандартного "
              "интерфейса OData.",
    },
    "doctor.recognised": {"en": "this base looks like {conf}{release} (profile {profile})",
                          "ru": "база похожа на {conf}{release} (профиль {profile})"},
    "doctor.not_recognised": {
        "en": "the configuration could not be recognised from the published names",
        "ru": "конфигурацию не удалось узнать по опубликованным именам",
    },
    "doctor.suggest": {
        "en": "The profile in use is {used}, but this base looks like {profile}: set "
              "accounting.profile = \"{profile}\" (or pass --profile {profile}).",
        "ru": "Используется профиль {used}, а база похожа на {profile}: укажите "
              "accounting.profile = \"{profile}\" (или --profile {profile}).",
    },
    "doctor.ok": {"en": "OK: {n} entity sets, table parts and fields the profile needs are published.",
                  "ru": "В порядке: опубликовано {n} наборов, табличных частей и полей, нужных профилю."},
    "doctor.must_publish": {
        "en": "MUST PUBLISH: add these objects to the standard OData interface's composition:",
        "ru": "НУЖНО ОПУБЛИКОВАТЬ: добавьте объекты в состав стандартного интерфейса OData:",
    },
    "doctor.mismatch": {
        "en": "NOT IN THIS BASE: published objects lack what the profile names; the profile does "
              "not match this configuration or release (fix the names in a copy of the profile):",
        "ru": "НЕТ В ЭТОЙ БАЗЕ: у опубликованных объектов нет того, что называет профиль; профиль не "
              "подходит к этой конфигурации или релизу (исправьте имена в копии профиля):",
    },
    "doctor.unreadable": {
        "en": "CANNOT READ: this user may not read these (a GET with allowedOnly=true was refused); "
              "grant the rights in 1C:",
        "ru": "НЕТ ПРАВ: пользователю нельзя читать эти объекты (отказ на GET с allowedOnly=true); "
              "выдайте права в 1С:",
    },
    "doctor.optional": {
        "en": "OPTIONAL, missing: the CRM works without these (the feature is off); publish them "
              "to have it:",
        "ru": "НЕОБЯЗАТЕЛЬНО, нет: CRM работает и без них (функция выключена); опубликуйте, чтобы "
              "она была:",
    },
    "doctor.unchecked": {
        "en": "not checked ($metadata does not describe the virtual table's rows): {names}",
        "ru": "не проверено ($metadata не описывает строки виртуальной таблицы): {names}",
    },
    "doctor.uses.pull": {"en": "read", "ru": "чтение"},
    "doctor.uses.push": {"en": "write", "ru": "запись"},
    "doctor.verdict.0": {"en": "Ready: this publication has everything the profile needs.",
                         "ru": "Готово: в публикации есть всё, что нужно профилю."},
    "doctor.verdict.1": {"en": "Not ready: see the list above.",
                         "ru": "Не готово: см. список выше."},
    "doctor.verdict.2": {"en": "Cannot check the publication: see above.",
                         "ru": "Проверить публикацию не удалось: см. выше."},
})


def _plain(text: str) -> str:
    """Text from 1C or the server, safe to print: no control characters or escapes."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:500]


def word(f: Finding) -> str:
    return _plain(tr(f.code, **{k: _plain(v) for k, v in f.params.items()}))


def _uses(n: Need) -> str:
    return ", ".join(tr(f"doctor.uses.{u}") for u in n.uses)


def _need_line(n: Need) -> str:
    if n.kind == "entity_set":
        return f"  {n.entity}  ({metadata_object(n.entity)}; {_uses(n)})"
    return f"  {n.name}  ({_uses(n)})"


def text_report(report: Report, out: TextIO) -> None:
    w = out.write
    w(tr("doctor.title", url=_plain(report.url)) + "\n")
    w(tr("doctor.profile", name=report.profile, title=report.profile_title) + "\n")
    check = report.url_check
    if check is not None and check.findings:
        for f in check.findings:
            w("  " + word(f) + "\n")
        if check.fatal:
            w("  " + tr("doctor.typed", url=_plain(report.url)) + "\n")
            if check.expected:
                w("  " + tr("doctor.expected", url=_plain(check.expected)) + "\n")
    if report.failure is not None:
        w(word(report.failure) + "\n")
    if report.failure is None and (check is None or not check.fatal):
        r = report.recognised
        if r is not None:
            release = f" {r.release}" if r.release else ""
            w(tr("doctor.recognised", conf=r.configuration, release=release, profile=r.profile) + "\n")
        else:
            w(tr("doctor.not_recognised") + "\n")
        if report.suggested_profile:
            w(tr("doctor.suggest", used=report.profile, profile=report.suggested_profile) + "\n")
        w(tr("doctor.ok", n=len(report.present)) + "\n")
        sections = (("doctor.must_publish", report.must_publish),
                    ("doctor.mismatch", report.mismatch),
                    ("doctor.optional", report.optional_missing))
        for key, needs in sections:
            if needs:
                w("\n" + tr(key) + "\n")
                for n in needs:
                    w(_need_line(n) + "\n")
        if report.unreadable:
            w("\n" + tr("doctor.unreadable") + "\n")
            for n, why in report.unreadable:
                w(_need_line(n) + (f": {_plain(why)}" if why else "") + "\n")
        if report.unchecked:
            w(tr("doctor.unchecked", names=", ".join(n.name for n in report.unchecked)) + "\n")
    w("\n" + tr(f"doctor.verdict.{exit_code(report)}") + "\n")


def exit_code(report: Report) -> int:
    if report.url_check is not None and report.url_check.fatal:
        return EXIT_CANNOT_CONNECT
    return report.exit_code


def _need_json(n: Need) -> dict[str, Any]:
    return {"name": n.name, "kind": n.kind, "entity_set": n.entity, "table_part": n.lines or None,
            "field": n.field or None, "function": n.function or None,
            "object": metadata_object(n.entity), "concept": n.concept, "uses": list(n.uses),
            "required": n.required}


def json_report(report: Report) -> dict[str, Any]:
    check = report.url_check
    r = report.recognised
    return {
        "url": report.url,
        "profile": report.profile,
        "exit": exit_code(report),
        "url_problems": [{"code": f.code, "message": word(f)} for f in (check.findings if check else ())],
        "expected_url": check.expected if check else None,
        "failure": None if report.failure is None else {"code": report.failure.code,
                                                        "message": word(report.failure)},
        "recognised": None if r is None else {"configuration": r.configuration, "profile": r.profile,
                                              "release": r.release or None, "evidence": list(r.evidence)},
        "suggested_profile": report.suggested_profile,
        "ok": len(report.present),
        "must_publish": [_need_json(n) for n in report.must_publish],
        "mismatch": [_need_json(n) for n in report.mismatch],
        "optional_missing": [_need_json(n) for n in report.optional_missing],
        "unreadable": [dict(_need_json(n), reason=_plain(why)) for n, why in report.unreadable],
        "unchecked": [_need_json(n) for n in report.unchecked],
    }


def run(settings: Settings, *, profile_spec: str | None, as_json: bool,
        out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run doctor with these settings; prints the report, returns the exit code."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    from tui_crm.sync.service import client_from_settings

    acc = settings.accounting
    if not acc.url:
        print(tr("doctor.no_url"), file=err)
        return EXIT_CANNOT_CONNECT
    base_dir: Path | None = settings.source.parent if settings.source else None
    try:
        profile = load_profile(profile_spec or acc.profile, base_dir=base_dir)
    except ProfileError as exc:
        print(f"tui-crm doctor: {error_words(exc) or exc}", file=err)
        return EXIT_CANNOT_CONNECT
    report = Report(url=acc.url, profile=profile.name, profile_title=profile.title)
    report.url_check = check_url(acc.url)
    if not report.url_check.fatal:
        try:
            client = client_from_settings(acc)
        except (ConfigError, ValueError) as exc:
            print(f"tui-crm doctor: {exc}", file=err)
            return EXIT_CANNOT_CONNECT

        async def main() -> Report:
            try:
                return await diagnose(client, profile, url=acc.url, user=acc.username)
            finally:
                await client.aclose()

        checked = asyncio.run(main())
        checked.url_check = report.url_check
        report = checked
    if as_json:
        out.write(json.dumps(json_report(report), ensure_ascii=False, indent=2) + "\n")
    else:
        text_report(report, out)
    return exit_code(report)
