"""Sync log: recent sync runs, errors with 1C's own message, and the outbox with retry/discard.

The full text of an error (1C's messages are long and the operator has to pass them on to the
accountant) opens in a read-only viewer and copies to the clipboard over OSC 52, which works
through SSH. Retry and discard go through the host to the sync engine (`host.retry`,
`host.discard`), the one path for each; the engine answers with `OutboxActed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Label, Static, TextArea
from textual.worker import Worker, WorkerState

from tui_crm.domain.zone import utc_to_wall
from tui_crm.host import OutboxActed
from tui_crm.i18n import number, register, tr
from tui_crm.screens.base import HostedScreen
from tui_crm.store import OutboxItem, Store, SyncRun
from tui_crm.widgets.columns import Col, FitTable
from tui_crm.widgets.confirm import ConfirmModal
from tui_crm.widgets.dialog import CrmModal
from tui_crm.widgets.footer import CrmFooter
from tui_crm.widgets.text import clean, plain

register(
    {
        "sl.title": {"en": "Sync log", "ru": "Журнал обмена"},
        "sl.runs": {"en": "Recent runs", "ru": "Последние запуски"},
        "sl.outbox": {"en": "Outbox: waiting to go to accounting", "ru": "Исходящие: ждут отправки в учёт"},
        "sl.no_runs": {"en": "No sync runs yet.", "ru": "Синхронизация ещё не запускалась."},
        "sl.no_outbox": {
            "en": "The outbox is empty: everything is in accounting.",
            "ru": "Исходящих нет: всё передано в учёт.",
        },
        "sl.col_started": {"en": "Started", "ru": "Начало"},
        "sl.col_job": {"en": "Job", "ru": "Задание"},
        "sl.col_took": {"en": "Took", "ru": "Длит."},
        "sl.col_result": {"en": "Result", "ru": "Итог"},
        "sl.col_rows": {"en": "Rows", "ru": "Строк"},
        "sl.col_requests": {"en": "Req.", "ru": "Запр."},
        "sl.col_error": {"en": "Error (1C's message)", "ru": "Ошибка (сообщение 1С)"},
        "sl.col_no": {"en": "№", "ru": "№"},
        "sl.col_what": {"en": "What", "ru": "Что"},
        "sl.col_object": {"en": "Object", "ru": "Объект"},
        "sl.col_action": {"en": "Action", "ru": "Действие"},
        "sl.col_state": {"en": "State", "ru": "Состояние"},
        "sl.col_attempts": {"en": "Tries", "ru": "Попыт."},
        "sl.col_next": {"en": "Next try", "ru": "Следующая"},
        "sl.job_pull": {"en": "pull", "ru": "загрузка"},
        "sl.job_push": {"en": "push", "ru": "отправка"},
        "sl.job_mirror": {"en": "catalog", "ru": "каталог"},
        "sl.job_counterparties": {"en": "counterparties", "ru": "контрагенты"},
        "sl.job_orders": {"en": "orders", "ru": "заказы"},
        "sl.job_payments": {"en": "payments", "ru": "оплаты"},
        "sl.job_shipments": {"en": "shipments", "ru": "отгрузки"},
        "sl.job_debt": {"en": "debt", "ru": "долги"},
        "sl.job_reserves": {"en": "reserves", "ru": "резервы"},
        "sl.job_shipment_requests": {"en": "requests", "ru": "заявки"},
        "sl.job_live": {"en": "on screen", "ru": "на экране"},
        "sl.seconds": {"en": "{n} s", "ru": "{n} с"},
        "sl.ok": {"en": "OK", "ru": "ОК"},
        "sl.failed": {"en": "Failed", "ru": "Ошибка"},
        "sl.running": {"en": "running…", "ru": "идёт…"},
        "sl.kind_client": {"en": "Client", "ru": "Клиент"},
        "sl.kind_invoice": {"en": "Invoice", "ru": "Счёт"},
        "sl.kind_reserve": {"en": "Reserve", "ru": "Резерв"},
        "sl.kind_shipment": {"en": "Shipment request", "ru": "Заявка на отгрузку"},
        "sl.action_create": {"en": "create", "ru": "создать"},
        "sl.action_update": {"en": "update", "ru": "изменить"},
        "sl.state_pending": {"en": "pending", "ru": "ждёт"},
        "sl.state_sending": {"en": "sending", "ru": "отправка"},
        "sl.state_failed": {"en": "failed", "ru": "ошибка"},
        "sl.state_conflict": {"en": "changed in 1C", "ru": "изменён в 1С"},
        "sl.conflict_detail": {
            "en": "Changed in accounting since the CRM last read it; nothing was written. Enter: compare "
                  "both versions and choose.",
            "ru": "Изменено в учёте после того, как CRM читала его; ничего не записано. Enter — сравнить "
                  "версии и выбрать.",
        },
        "sl.detail_none": {
            "en": "Select a row with an error to see 1C's full message (enter).",
            "ru": "Выберите строку с ошибкой, чтобы увидеть полное сообщение 1С (enter).",
        },
        "sl.error_title": {"en": "1C's message", "ru": "Сообщение 1С"},
        "sl.error_keys": {"en": "c copy · esc close", "ru": "c скопировать · esc закрыть"},
        "sl.copied": {"en": "Copied to the clipboard.", "ru": "Скопировано в буфер обмена."},
        "sl.no_error": {"en": "This row has no error.", "ru": "В этой строке нет ошибки."},
        "sl.retried": {"en": "Will be sent again now: {what}", "ru": "Будет отправлено снова: {what}"},
        "sl.not_retryable": {
            "en": "Only pending or failed items can be retried.",
            "ru": "Повторить можно только ждущие или ошибочные.",
        },
        "sl.discarded": {
            "en": "Discarded: {what} stays in the CRM only.",
            "ru": "Отменено: {what} остаётся только в CRM.",
        },
        "sl.not_discardable": {
            "en": "This item is being sent or is finished; it cannot be discarded.",
            "ru": "Этот элемент отправляется или уже обработан; отменить нельзя.",
        },
        "sl.outbox_only": {
            "en": "Retry and discard work on the outbox (tab to it).",
            "ru": "Повтор и отмена — в списке исходящих (tab).",
        },
        "sl.discard_q": {
            "en": "Discard {what}? It will not be sent to accounting (it stays in the CRM).",
            "ru": "Отменить отправку: {what}? В учёт не уйдёт (останется в CRM).",
        },
        "sl.discard": {"en": "Discard", "ru": "Отменить"},
        "sl.keep": {"en": "Keep", "ru": "Оставить"},
        "sl.bind_view": {"en": "View error", "ru": "Ошибка"},
        "sl.bind_copy": {"en": "Copy error", "ru": "Копировать"},
        "sl.bind_retry": {"en": "Retry", "ru": "Повторить"},
        "sl.bind_discard": {"en": "Discard", "ru": "Отбросить"},
        "sl.bind_refresh": {"en": "Refresh", "ru": "Обновить"},
        "sl.bind_back": {"en": "Back", "ru": "Назад"},
        "sl.bind_close": {"en": "Close", "ru": "Закрыть"},
        "sl.cmd": {"en": "Sync log", "ru": "Журнал обмена"},
        "sl.cmd_help": {
            "en": "Recent sync runs, 1C's errors, the outbox with retry and discard",
            "ru": "Запуски обмена, ошибки 1С, исходящие с повтором и отменой",
        },
    }
)


def job_name(job: str) -> str:
    """A sync job's name in the interface language (an unknown one as recorded)."""
    key = f"sl.job_{job}"
    return tr(key) if job in JOBS else job


JOBS = ("pull", "push", "mirror", "counterparties", "orders", "payments", "shipments", "debt", "reserves",
        "shipment_requests", "live")


def run_columns() -> list[Col]:
    """By priority (widgets/columns.py): when, what, the result and 1C's error stay at 80 columns."""
    return [
        Col("started", tr("sl.col_started"), 14),
        Col("job", tr("sl.col_job"), 10, min=8),
        Col("took", tr("sl.col_took"), 7, min=6, right=True, fit=True, priority=2),
        Col("result", tr("sl.col_result"), 7, min=6),
        Col("rows", tr("sl.col_rows"), 6, min=5, right=True, fit=True, priority=3),
        Col("req", tr("sl.col_requests"), 5, right=True, fit=True, priority=1),
        Col("error", tr("sl.col_error"), 40, min=16, grow=True),
    ]


def outbox_columns() -> list[Col]:
    """By priority: what, its state and error stay; the tries, the action and the number go first."""
    return [
        Col("no", tr("sl.col_no"), 4, right=True, priority=4),
        Col("what", tr("sl.col_what"), 7, min=6),
        Col("object", tr("sl.col_object"), 22, min=14),
        Col("action", tr("sl.col_action"), 8, priority=3),
        Col("state", tr("sl.col_state"), 8),
        Col("tries", tr("sl.col_attempts"), 6, right=True, priority=2),
        Col("next", tr("sl.col_next"), 14, priority=1),
        Col("error", tr("sl.col_error"), 22, min=12, grow=True),
    ]


def _when(value: datetime | None) -> str:
    """The store keeps naive UTC; the operator reads local time."""
    if value is None:
        return "—"
    return utc_to_wall(value).strftime("%d.%m %H:%M:%S")


def first_line(text: str | None, width: int = 80) -> str:
    if not text:
        return ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


class ErrorTextScreen(CrmModal[None]):
    """The full text of one error, selectable, and copied with `c` (OSC 52, works over SSH)."""

    FULL_SIZE = True  # 20 rows of text: the "copied" toast floats over it

    CSS_PATH = "sync_log.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c,f2", "copy", tr("sl.bind_copy"), id="error.copy"),
        Binding("escape", "close", tr("sl.bind_close"), id="error.close"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="error-box"):
            yield Label(plain(self.title_text), id="error-title")
            # Shown cleaned of terminal controls; `c` copies 1C's text exactly as it came.
            yield TextArea(clean(self.text, one_line=False), read_only=True, soft_wrap=True, id="error-text",
                           show_cursor=False)
            yield Label(tr("sl.error_keys"), id="error-keys")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.notify(tr("sl.copied"), timeout=3)

    def action_close(self) -> None:
        self.dismiss(None)


@dataclass
class LogLoaded(Message):
    runs: list[SyncRun]
    outbox: list[OutboxItem]
    labels: dict[int, str]


class SyncLogScreen(HostedScreen[None]):
    """Runs (newest first) and the outbox; the row under the cursor shows its full error below."""

    CSS_PATH = "sync_log.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,v", "view_error", tr("sl.bind_view"), id="synclog.view", key_display="enter"),
        Binding("c", "copy_error", tr("sl.bind_copy"), id="synclog.copy"),
        Binding("r,f7", "retry", tr("sl.bind_retry"), id="synclog.retry", key_display="r/F7"),
        Binding("x,f8", "discard", tr("sl.bind_discard"), id="synclog.discard", key_display="x/F8"),
        Binding("f5", "reload", tr("sl.bind_refresh"), id="synclog.refresh", key_display="F5"),
        Binding("escape", "back", tr("sl.bind_back"), id="synclog.back", key_display="Esc"),
    ]

    RUNS_LIMIT = 30

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.runs: list[SyncRun] = []
        self.outbox: list[OutboxItem] = []
        self.labels: dict[int, str] = {}
        self._acting: dict[int, str] = {}  # outbox item id → its label, while the engine acts

    def compose(self) -> ComposeResult:
        yield Label(tr("sl.title"), id="sl-title")
        yield Label(tr("sl.runs"), classes="caption")
        yield Static(Text(tr("sl.no_runs"), style="italic"), id="sl-runs-empty", classes="empty")
        yield FitTable(run_columns(), id="sl-runs")
        yield Label(tr("sl.outbox"), classes="caption")
        yield Static(Text(tr("sl.no_outbox"), style="italic"), id="sl-outbox-empty", classes="empty")
        yield FitTable(outbox_columns(), id="sl-outbox")
        yield Static("", id="sl-detail")
        yield self.status_bar()
        yield CrmFooter()

    def on_mount(self) -> None:
        self.title = tr("sl.title")
        self.action_reload()

    # -- loading -----------------------------------------------------------------------------
    def action_reload(self) -> None:
        self._load()

    def refresh_data(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="synclog-load", exit_on_error=False)
    def _load(self) -> None:
        runs = self.store.recent_runs(self.RUNS_LIMIT)
        outbox = self.store.outbox_items()
        labels = {item.id: self.store.outbox_object_label(item.kind, item.object_id) for item in outbox}
        self.post_message(LogLoaded(runs, outbox, labels))

    @on(LogLoaded)
    def _loaded(self, msg: LogLoaded) -> None:
        self.runs, self.outbox, self.labels = msg.runs, msg.outbox, msg.labels
        runs: list[tuple[dict[str, Text], str | None]] = []
        for run in msg.runs:
            if run.ok is None:
                result = Text(tr("sl.running"), style="italic")
            elif run.ok:
                result = Text(tr("sl.ok"), style="green")
            else:
                result = Text(tr("sl.failed"), style="bold red")
            took = ""
            if run.finished_at is not None:
                took = tr("sl.seconds", n=number((run.finished_at - run.started_at).total_seconds(), ".1f"))
            runs.append(({
                "started": Text(_when(run.started_at)), "job": Text(job_name(run.job)),
                "took": Text(took, justify="right"), "result": result,
                "rows": Text(str(run.rows_read), justify="right"), "req": Text(str(run.requests), justify="right"),
                "error": plain(first_line(run.error), "red"),
            }, f"run:{run.id}"))
        self.query_one("#sl-runs", FitTable).set_rows(runs)
        self.query_one("#sl-runs-empty").display = not msg.runs
        outbox: list[tuple[dict[str, Text], str | None]] = []
        for item in msg.outbox:
            state_style = {"failed": "bold red", "sending": "italic", "conflict": "bold yellow"}.get(item.state, "")
            kind = tr(f"sl.kind_{item.kind}") if item.kind in ("client", "invoice", "reserve", "shipment") \
                else item.kind
            action = tr(f"sl.action_{item.action}") if item.action in ("create", "update") else item.action
            state = (tr(f"sl.state_{item.state}") if item.state in ("pending", "sending", "failed", "conflict")
                     else item.state)
            error = tr("sl.conflict_detail") if item.state == "conflict" else item.last_error
            outbox.append(({
                "no": Text(str(item.id), justify="right"), "what": Text(kind),
                "object": plain(msg.labels.get(item.id, item.object_id)), "action": Text(action),
                "state": Text(state, style=state_style),
                "tries": Text(str(item.attempts), justify="right"), "next": Text(_when(item.next_attempt_at)),
                "error": plain(first_line(error), "red"),
            }, f"out:{item.id}"))
        self.query_one("#sl-outbox", FitTable).set_rows(outbox)
        self.query_one("#sl-outbox-empty").display = not msg.outbox
        self._show_detail()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and (event.worker.group or "").startswith("synclog"):
            self.notify(str(event.worker.error), severity="error", markup=False)

    # -- the row under the cursor ------------------------------------------------------------
    def _selected(self) -> tuple[str, SyncRun | OutboxItem | None]:
        """("runs" | "outbox", the record) for the focused table's cursor row."""
        focused = self.focused
        if isinstance(focused, DataTable) and focused.id == "sl-outbox":
            row = focused.cursor_row
            return "outbox", self.outbox[row] if 0 <= row < len(self.outbox) else None
        runs = self.query_one("#sl-runs", DataTable)
        row = runs.cursor_row
        return "runs", self.runs[row] if 0 <= row < len(self.runs) else None

    def _error_of(self, record: SyncRun | OutboxItem | None) -> tuple[str, str] | None:
        if isinstance(record, SyncRun) and record.error:
            return f"{tr('sl.error_title')} — {record.job} {_when(record.started_at)}", record.error
        if isinstance(record, OutboxItem) and record.state == "conflict":
            what = self.labels.get(record.id, record.object_id)
            return f"{tr('sl.error_title')} — {what}", tr("sl.conflict_detail")
        if isinstance(record, OutboxItem) and record.last_error:
            what = self.labels.get(record.id, record.object_id)
            return f"{tr('sl.error_title')} — {what}", record.last_error
        return None

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    def on_descendant_focus(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        _, record = self._selected()
        error = self._error_of(record)
        detail = self.query_one("#sl-detail", Static)
        if error is None:
            detail.update(Text(tr("sl.detail_none"), style="dim italic"))
        else:
            detail.update(plain(error[1], "red", one_line=False))

    # -- actions -----------------------------------------------------------------------------
    @on(DataTable.RowSelected)
    def _row_chosen(self) -> None:
        self.action_view_error()

    def action_view_error(self) -> None:
        record = self._selected()[1]
        if isinstance(record, OutboxItem) and record.state == "conflict":
            self.host.open_conflict(record.kind, record.object_id)
            return
        error = self._error_of(record)
        if error is None:
            self.notify(tr("sl.no_error"), timeout=3)
            return
        self.app.push_screen(ErrorTextScreen(*error))

    def action_copy_error(self) -> None:
        error = self._error_of(self._selected()[1])
        if error is None:
            self.notify(tr("sl.no_error"), timeout=3)
            return
        self.app.copy_to_clipboard(error[1])
        self.notify(tr("sl.copied"), timeout=3)

    def _outbox_item(self) -> OutboxItem | None:
        where, record = self._selected()
        if where != "outbox" or not isinstance(record, OutboxItem):
            self.notify(tr("sl.outbox_only"), severity="warning", timeout=4)
            return None
        return record

    def action_retry(self) -> None:
        item = self._outbox_item()
        if item is not None:
            self._acting[item.id] = self.labels.get(item.id, item.object_id)
            self.host.retry(item.id)

    def action_discard(self) -> None:
        item = self._outbox_item()
        if item is None:
            return
        what = self.labels.get(item.id, item.object_id)

        def answered(yes: bool | None) -> None:
            if yes:
                self._acting[item.id] = what
                self.host.discard(item.id)

        self.app.push_screen(ConfirmModal(tr("sl.discard_q", what=what), tr("sl.discard"), tr("sl.keep")), answered)

    @on(OutboxActed)
    def _acted(self, msg: OutboxActed) -> None:
        """The engine's answer (the base class re-reads the log for it too)."""
        what = self._acting.pop(msg.item_id, str(msg.item_id))
        if msg.action == "retry":
            if msg.ok:
                self.notify(tr("sl.retried", what=what), markup=False)
            else:
                self.notify(tr("sl.not_retryable"), severity="warning")
        elif msg.ok:
            self.notify(tr("sl.discarded", what=what), markup=False)
        else:
            self.notify(tr("sl.not_discardable"), severity="warning")

    def action_back(self) -> None:
        self.dismiss(None)
