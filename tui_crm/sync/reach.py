"""Why accounting could not be reached, in the operator's words — one text for `tui-crm doctor`
and for the sync (its log, the status bar, `tui-crm sync`), in English and Russian.

The classification is `tui_crm.sync.odata.connect_failure` (the client marks each `Unreachable`
with it); the words are registered here, under the keys doctor's findings use.
"""

from __future__ import annotations

from tui_crm.i18n import register, tr
from tui_crm.sync.odata import Unreachable

register({
    "connect.dns": {
        "en": "The server name {host} is not known (DNS). Check the spelling, or use its IP address.",
        "ru": "Имя сервера {host} не находится (DNS). Проверьте написание или укажите IP-адрес.",
    },
})


def unreachable_words(exc: BaseException) -> str | None:
    """The operator's sentence for a failure the doctor names too (a server name that does not
    resolve), in the interface language; None for any other error."""
    if isinstance(exc, Unreachable) and exc.reason == "dns":
        return tr("connect.dns", host=exc.host)
    return None
