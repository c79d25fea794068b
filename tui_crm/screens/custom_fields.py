"""Company-specific fields on a form: widgets generated from the profile's field definitions,
checked as typed, and a small keyboard picker over the mirrored items of a 1C catalog.

`CustomFieldsForm` is one panel (the client card's "Extra" tab, the invoice's extra-fields
dialog): text, number and date fields are inputs checked by `tui_crm.domain.custom`, yes/no is a
checkbox, a reference is a button that opens `CatalogItemPicker` (type to narrow, enter to choose,
"— empty —" to clear). The form keeps what was loaded, so a screen can tell unsaved edits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, OptionList
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from tui_crm.domain.custom import (
    FieldKind,
    FieldSpec,
    format_value,
    from_json,
    parse_value,
    problem_of,
    to_json,
)
from tui_crm.domain.problems import ValidationError
from tui_crm.i18n import language, register, tr
from tui_crm.problems import describe
from tui_crm.screens.base import HostedModal
from tui_crm.store import CustomItem, Store
from tui_crm.widgets.text import clean, plain

register({
    "custom.empty_ref": {"en": "— not set —", "ru": "— не задано —"},
    "custom.unknown_ref": {"en": "(not in the mirror yet)", "ru": "(ещё нет в зеркале)"},
    "custom.ph_date": {"en": "DD.MM.YYYY", "ru": "ДД.ММ.ГГГГ"},
    "custom.ph_number": {"en": "a number, e.g. 12.5", "ru": "число, например 12,5"},
    "custom.ph_ref": {"en": "Enter: choose", "ru": "Enter — выбрать"},
    "custom.picker_title": {"en": "Choose: {label}", "ru": "Выбор: {label}"},
    "custom.picker_search": {"en": "Type to narrow…", "ru": "Начните вводить…"},
    "custom.picker_none": {"en": "Nothing matches. Pull from accounting (F5) if the catalog is new.",
                           "ru": "Ничего не найдено. Если справочник новый — F5, загрузка из учёта."},
    "custom.clear": {"en": "— clear the field —", "ru": "— очистить поле —"},
    "custom.yes": {"en": "yes", "ru": "да"},
    "custom.keep": {"en": "OK", "ru": "Готово"},
    "custom.modal_hint": {"en": "F2 keeps the values (saved with the invoice) · Esc cancels",
                          "ru": "F2 — принять (сохраняются со счётом) · Esc — отмена"},
})


def _input_id(spec: FieldSpec) -> str:
    return f"cf-{spec.name}"


@dataclass(frozen=True)
class PickedItem:
    """What the picker returns: an item, or ``id=None`` to clear the field."""

    id: str | None
    name: str = ""


@dataclass
class ItemsFound(Message):
    text: str
    items: list[CustomItem]


class CatalogItemPicker(HostedModal[PickedItem | None]):
    """A small picker over the mirrored items of one 1C catalog; escape leaves the field as it was."""

    DEFAULT_CSS = """
    CatalogItemPicker #picker-box { width: 60; height: auto; max-height: 20; border: thick $accent;
        background: $surface; padding: 0 1; }
    CatalogItemPicker #picker-title { text-style: bold; color: $text-accent; }
    CatalogItemPicker #items { height: auto; max-height: 12; }
    CatalogItemPicker #picker-hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", tr("bind.close"), id="custom_picker.cancel"),
        Binding("down", "move(1)", show=False, id="custom_picker.down"),
        Binding("up", "move(-1)", show=False, id="custom_picker.up"),
    ]
    LIMIT = 50

    def __init__(self, store: Store, spec: FieldSpec) -> None:
        super().__init__()
        self.store = store
        self.spec = spec

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box"):
            yield Label(plain(tr("custom.picker_title", label=self.spec.label(language()))), id="picker-title")
            yield Input(placeholder=tr("custom.picker_search"), id="picker-search", compact=True)
            yield OptionList(id="items", compact=True)
            yield Label("", id="picker-hint")

    def on_mount(self) -> None:
        self.query_one("#picker-search", Input).focus()
        self._search("")

    @on(Input.Changed, "#picker-search")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @work(thread=True, exclusive=True, group="custom-picker", exit_on_error=False)
    def _search(self, text: str) -> None:
        items = self.store.custom_items(self.spec.catalog, text, limit=self.LIMIT)
        if not get_current_worker().is_cancelled:
            self.post_message(ItemsFound(text, items))

    @on(ItemsFound)
    def _found(self, msg: ItemsFound) -> None:
        if msg.text != self.query_one("#picker-search", Input).value:
            return
        box = self.query_one("#items", OptionList)
        box.clear_options()
        box.add_option(Option(Text(tr("custom.clear"), style="italic"), id=""))
        for item in msg.items:
            box.add_option(Option(plain(item.name), id=item.id))
        box.highlighted = 1 if msg.items else 0
        self.query_one("#picker-hint", Label).update(
            "" if msg.items else Text(tr("custom.picker_none"), style="dim"))

    def action_move(self, delta: int) -> None:
        """Arrows move the highlight while the typing stays in the search box."""
        box = self.query_one("#items", OptionList)
        if box.option_count:
            current = box.highlighted if box.highlighted is not None else 0
            box.highlighted = max(0, min(box.option_count - 1, current + delta))

    @on(Input.Submitted, "#picker-search")
    def _submitted(self) -> None:
        box = self.query_one("#items", OptionList)
        if box.highlighted is not None:
            self._choose(box.get_option_at_index(box.highlighted))

    @on(OptionList.OptionSelected, "#items")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option)

    def _choose(self, option: Option) -> None:
        if not option.id:
            self.dismiss(PickedItem(None))
            return
        self.dismiss(PickedItem(option.id, str(option.prompt)))

    def action_cancel(self) -> None:
        self.dismiss(None)


class CustomFieldsForm(Vertical):
    """The fields of one object (client or invoice), generated from their definitions."""

    DEFAULT_CSS = """
    CustomFieldsForm { height: auto; }
    CustomFieldsForm Button.ref { width: 1fr; min-width: 10; text-align: left; content-align: left middle; }
    CustomFieldsForm Checkbox { width: auto; }
    """

    @dataclass
    class Edited(Message):
        """Something on the form changed (the screen re-checks and redraws its unsaved mark)."""

        form: CustomFieldsForm

    def __init__(self, store: Store, specs: tuple[FieldSpec, ...], *, id: str | None = None) -> None:
        super().__init__(id=id, classes="custom-form")
        self.store = store
        self.specs = specs
        self._refs: dict[str, str | None] = {}     # reference fields: the chosen item's id
        self._ref_names: dict[str, str] = {}       # item id -> name, for the buttons
        self._baseline: dict[str, Any] = {}
        self._touched: set[str] = set()
        self.show_all_errors = False
        self._loading = False

    def compose(self) -> ComposeResult:
        lang = language()
        for spec in self.specs:
            with Vertical(classes="field-box", id=f"cfbox-{spec.name}"):
                with Horizontal(classes="field"):
                    caption = spec.label(lang) + (" *" if spec.required else "")
                    yield Label(plain(caption), classes="caption")
                    if spec.kind is FieldKind.YES_NO:
                        yield Checkbox(tr("custom.yes"), id=_input_id(spec), compact=True)
                    elif spec.kind is FieldKind.REFERENCE:
                        yield Button(tr("custom.empty_ref"), id=_input_id(spec), compact=True, classes="ref")
                    else:
                        placeholder = {FieldKind.DATE: tr("custom.ph_date"),
                                       FieldKind.NUMBER: tr("custom.ph_number")}.get(spec.kind, "")
                        yield Input(id=_input_id(spec), compact=True, placeholder=placeholder,
                                    select_on_focus=False)
                yield Label("", classes="error", id=f"cferror-{spec.name}")

    # -- values --------------------------------------------------------------------------------
    def load(self, stored: dict[str, Any], names: dict[str, str]) -> None:
        """Show stored values (JSON, as the store keeps them); they become the unsaved-edit baseline."""
        self._loading = True
        self._ref_names = dict(names)
        with self.prevent(Input.Changed, Checkbox.Changed):
            for spec in self.specs:
                value = from_json(spec, stored.get(spec.name))
                widget = self.query_one(f"#{_input_id(spec)}")
                if isinstance(widget, Checkbox):
                    widget.value = value is True
                elif isinstance(widget, Button):
                    self._refs[spec.name] = value if isinstance(value, str) else None
                    self._label_ref(spec)
                elif isinstance(widget, Input):
                    # what 1C holds is cleaned: an Input draws its value as is
                    widget.value = clean(format_value(spec, value))
        self._baseline = self._raw()
        self._loading = False
        self.check()

    def _label_ref(self, spec: FieldSpec) -> None:
        button = self.query_one(f"#{_input_id(spec)}", Button)
        item = self._refs.get(spec.name)
        if item is None:
            button.label = Text(tr("custom.empty_ref"), style="dim")
        else:
            name = self._ref_names.get(item)
            button.label = plain(name) if name else Text(tr("custom.unknown_ref"), style="dim")

    def _raw(self) -> dict[str, Any]:
        """What the form holds now, as typed (for the unsaved-edit check)."""
        out: dict[str, Any] = {}
        for spec in self.specs:
            widget = self.query_one(f"#{_input_id(spec)}")
            if isinstance(widget, Checkbox):
                out[spec.name] = widget.value
            elif isinstance(widget, Button):
                out[spec.name] = self._refs.get(spec.name)
            elif isinstance(widget, Input):
                out[spec.name] = widget.value.strip()
        return out

    @property
    def dirty(self) -> bool:
        return self._raw() != self._baseline

    def problems(self) -> dict[str, str]:
        """``{field: message}`` in the interface language, for every field that is not acceptable."""
        out: dict[str, str] = {}
        raw = self._raw()
        for spec in self.specs:
            value = raw[spec.name]
            if spec.kind is FieldKind.YES_NO:
                continue
            found = problem_of(spec, value or "")
            if found is not None:
                out[spec.name] = describe(found)
        return out

    def check(self) -> dict[str, str]:
        """Show the problems of the touched fields (all after a save attempt); returns them all."""
        problems = self.problems()
        for spec in self.specs:
            message = problems.get(spec.name, "")
            shown = bool(message) and (self.show_all_errors or spec.name in self._touched)
            self.query_one(f"#cferror-{spec.name}", Label).update(Text("⚠ " + message) if shown else "")
            self.query_one(f"#{_input_id(spec)}").set_class(shown, "-error")
        return problems

    def first_problem_widget(self) -> str | None:
        problems = self.problems()
        for spec in self.specs:
            if spec.name in problems:
                return _input_id(spec)
        return None

    def json_values(self) -> dict[str, Any]:
        """Every field as the store keeps it (only call when `problems()` is empty)."""
        out: dict[str, Any] = {}
        raw = self._raw()
        for spec in self.specs:
            value = raw[spec.name]
            if spec.kind in (FieldKind.YES_NO, FieldKind.REFERENCE):
                out[spec.name] = to_json(spec, value)
                continue
            try:
                out[spec.name] = to_json(spec, parse_value(spec, value or ""))
            except ValidationError:
                raise ValueError(f"{spec.name} is not valid; check problems() first") from None
        return out

    def typed(self) -> dict[str, Any]:
        """What the form holds now, as typed: give it back to `mark_saved` once it is written."""
        return self._raw()

    def mark_saved(self, saved: dict[str, Any] | None = None) -> None:
        """``saved`` (from `typed`, when the save started) is now the baseline; by default what
        the form holds now."""
        self._baseline = self._raw() if saved is None else dict(saved)

    # -- events --------------------------------------------------------------------------------
    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _edited(self, event: Input.Changed | Checkbox.Changed) -> None:
        if self._loading:
            return
        event.stop()
        widget_id = event.control.id or ""
        self._touched.add(widget_id.removeprefix("cf-"))
        self.check()
        self.post_message(self.Edited(self))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.focus_next()

    @on(Button.Pressed, ".ref")
    def _pick(self, event: Button.Pressed) -> None:
        event.stop()
        name = (event.button.id or "").removeprefix("cf-")
        spec = next(s for s in self.specs if s.name == name)

        def picked(item: PickedItem | None) -> None:
            if item is None:
                return
            self._refs[spec.name] = item.id
            if item.id is not None:
                self._ref_names[item.id] = item.name
            self._touched.add(spec.name)
            self._label_ref(spec)
            self.check()
            self.post_message(self.Edited(self))

        self.app.push_screen(CatalogItemPicker(self.store, spec), picked)


def summary(specs: tuple[FieldSpec, ...], stored: dict[str, Any], names: dict[str, str]) -> Text:
    """One line of the fields that have a value (``Delivery date 05.12.2026 · Industry Опт``)."""
    lang = language()
    out = Text()
    for spec in specs:
        value = from_json(spec, stored.get(spec.name))
        if value is None or value is False:
            continue
        if spec.kind is FieldKind.YES_NO:
            shown = tr("custom.yes")
        elif spec.kind is FieldKind.REFERENCE and isinstance(value, str):
            shown = names.get(value) or tr("custom.unknown_ref")
        else:
            shown = format_value(spec, value)
        if out:
            out.append(" · ", style="dim")
        out.append(clean(spec.label(lang)) + " ", style="dim")
        out.append(clean(shown))
    return out


class ExtraFieldsModal(HostedModal[dict[str, Any] | None]):
    """The invoice's company-specific fields in a small dialog: F2 keeps them (checked first),
    escape leaves them as they were."""

    DEFAULT_CSS = """
    ExtraFieldsModal #extra-box { width: 72; height: auto; max-height: 22; border: thick $accent;
        background: $surface; padding: 0 1; }
    ExtraFieldsModal #extra-title { text-style: bold; color: $text-accent; padding-bottom: 1; }
    ExtraFieldsModal .field-box { height: 2; }
    ExtraFieldsModal .field { height: 1; }
    ExtraFieldsModal .caption { width: 18; color: $text-muted; }
    ExtraFieldsModal .field Input { width: 1fr; }
    ExtraFieldsModal .error { height: 1; padding-left: 18; color: $text-error; }
    ExtraFieldsModal #extra-hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2,alt+s", "keep", tr("custom.keep"), id="custom_extra.keep"),
        Binding("escape", "cancel", tr("bind.close"), id="custom_extra.cancel"),
    ]

    def __init__(self, store: Store, specs: tuple[FieldSpec, ...], stored: dict[str, Any],
                 names: dict[str, str], title: str) -> None:
        super().__init__()
        self.store = store
        self.specs = specs
        self.stored = stored
        self.names = names
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="extra-box"):
            yield Label(self.title_text, id="extra-title")
            yield CustomFieldsForm(self.store, self.specs, id="extra-form")
            yield Label(tr("custom.modal_hint"), id="extra-hint")

    def on_mount(self) -> None:
        form = self.query_one(CustomFieldsForm)
        form.load(self.stored, self.names)
        self.query_one(f"#{_input_id(self.specs[0])}").focus()

    def action_keep(self) -> None:
        form = self.query_one(CustomFieldsForm)
        form.show_all_errors = True
        if form.check():
            widget = form.first_problem_widget()
            if widget is not None:
                self.query_one(f"#{widget}").focus()
            return
        self.dismiss(form.json_values() if form.dirty else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
