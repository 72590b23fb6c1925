"""Service forms (core/lifecycle/forms.py): the rules of each field type, the channels a
field shows on, the request and facts a valid form makes, and the API's description."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.default_plugin import GENERAL
from core.descriptors import Kind, ServiceType
from core.i18n import catalogs_loaded, load_catalogs, use_locale
from core.lifecycle.forms import (
    Amount,
    Choice,
    DateTimeRange,
    Field,
    FormContext,
    KindChoice,
    LongText,
    Phone,
    Photos,
    PriorityChoice,
    ServiceForm,
    Text,
    form_of,
    standard_form,
)
from web.forms import Form

SERVICE = ServiceType(
    slug="things",
    name=lambda _: _("Things"),
    description=lambda _: _("Things"),
    icon="box",
    prefix="TH",
    kinds=(Kind("a", lambda _: "A"), Kind("b", lambda _: "B")),
)


def _ctx(channel: str = "pwa", service: ServiceType = SERVICE, **kw: Any) -> FormContext:
    return FormContext(None, service, channel, org=1, **kw)


async def _read(field: Field, values: dict[str, str], channel: str = "pwa") -> tuple[Any, dict]:
    form = Form(values)
    with use_locale("en", "UTC"):
        value = await field.read(form, _ctx(channel))
    return value, form.errors


async def test_text_is_required_and_bounded() -> None:
    title = Text(name="t", label=lambda _: "T", required=True, max_length=5)
    assert await _read(title, {"t": "  hello "}) == ("hello", {})
    assert (await _read(title, {}))[1] == {"t": "Fill this in."}
    assert (await _read(title, {"t": "toolong"}))[1] == {"t": "At most 5 characters."}
    custom = Text(name="t", label=lambda _: "T", required=True, missing=lambda _: _("Say it."))
    assert (await _read(custom, {}))[1] == {"t": "Say it."}
    optional = LongText(name="d", label=lambda _: "D")
    assert await _read(optional, {}) == ("", {})
    assert (await _read(optional, {"d": "x" * 5001}))[1] == {"d": "At most 5000 characters."}


@given(st.text(max_size=40))
async def test_a_phone_is_digits_and_a_few_signs(text: str) -> None:
    phone = Phone(name="p", label=lambda _: "P")
    value, errors = await _read(phone, {"p": text})
    ok = all(c.isdigit() or c in "+- ()" for c in value) and len(value) <= 32
    assert (errors == {}) == ok


async def test_a_choice_is_one_of_its_options() -> None:
    pick = Choice(name="c", label=lambda _: "C", choices=(("x", lambda _: "X"),), required=True)
    assert await _read(pick, {"c": "x"}) == ("x", {})
    assert (await _read(pick, {"c": "y"}))[1] == {"c": "Choose one from the list."}
    assert (await _read(pick, {}))[1] == {"c": "Choose one from the list."}
    optional = Choice(name="c", label=lambda _: "C", choices=(("x", lambda _: "X"),))
    assert await _read(optional, {}) == ("", {})
    # the kind's options are the service's kinds; urgency defaults to normal
    assert await _read(KindChoice(), {"kind": "b"}) == ("b", {})
    assert (await _read(KindChoice(), {"kind": "z"}))[1] == {
        "kind": "Choose what kind of request this is."
    }
    assert await _read(PriorityChoice(), {}) == ("normal", {})
    assert (await _read(PriorityChoice(), {"priority": "asap"}))[1] == {
        "priority": "Choose a priority from the list."
    }


async def test_an_amount_has_two_decimals_and_bounds() -> None:
    amount = Amount()
    assert await _read(amount, {"amount": "1,500.5"}) == (Decimal("1500.50"), {})
    assert await _read(amount, {}) == (None, {})
    for bad in ("-1", "1e3", "NaN", "1" * 13, "¥"):
        assert (await _read(amount, {"amount": bad}))[1] == {
            "amount": "Enter an amount such as 5000 or 199.50."
        }, bad
    assert (await _read(Amount(required=True), {}))[1] == {"amount": "Enter the amount."}


async def test_the_standard_form_makes_the_request_and_keeps_to_its_channel() -> None:
    form = standard_form(GENERAL)
    assert [f.name for f in form.fields] == [
        "kind", "title", "description", "location", "amount", "priority", "files",
    ]  # fmt: skip
    assert form_of(SERVICE).fields[-1].name == "files" and "amount" not in {
        f.name for f in form_of(SERVICE).fields
    }
    assert [f.name for f in form.for_channel("desk")][-1] == "priority"  # no photos
    assert form.photos("pwa") is not None and form.photos("api") is None
    values = Form({"kind": "cleaning", "title": "打扫", "amount": "20", "priority": "high"})
    filled = await form.read(values, _ctx(service=GENERAL))
    assert filled is not None and filled.facts == {}
    made = filled.request
    assert (made.kind, made.title, made.amount, made.priority) == (
        "cleaning",
        "打扫",
        Decimal("20.00"),
        "high",
    )
    bad = Form({"kind": "nope"})
    assert await form.read(bad, _ctx(service=GENERAL)) is None
    assert set(bad.errors) == {"kind", "title"}


async def test_fields_marked_as_facts_give_rules_their_values() -> None:
    form = ServiceForm(
        (
            KindChoice(fact="category"),
            Text(name="title", label=lambda _: "T", required=True),
            Text(name="vendor", label=lambda _: "V", fact="vendor"),
            Text(name="desk_note", label=lambda _: "N", fact="note", channels=frozenset({"desk"})),
        )
    )
    filled = await form.read(Form({"kind": "a", "title": "x", "vendor": "ACME"}), _ctx())
    assert filled is not None and filled.facts == {"category": "a", "vendor": "ACME"}
    assert "desk_note" not in filled.values  # a field of another channel is not read
    empty = await form.read(Form({"kind": "a", "title": "x"}), _ctx())
    assert empty is not None and empty.facts == {"category": "a"}
    # what is typed so far, for the live outlook: a choice only when it is an option
    kind = form.fields[0]
    assert kind.typed(Form({"kind": "a"}), _ctx()) == "a"
    assert kind.typed(Form({"kind": "zzz"}), _ctx()) == ""


def test_a_form_names_each_field_once() -> None:
    with pytest.raises(ValueError, match="twice"):
        ServiceForm((Text(name="t", label=lambda _: "T"), LongText(name="t", label=lambda _: "T")))


def test_the_description_for_api_clients_is_in_their_language() -> None:
    if not catalogs_loaded():
        load_catalogs([])
    form = ServiceForm(
        (KindChoice(), Text(name="title", label=lambda _: _("Details"), required=True), Photos()),
        title=lambda _: _("General request"),
    )
    with use_locale("zh-CN", "Asia/Shanghai"):
        described = form.describe(_ctx("api"))
    assert described["service"] == "things" and described["title"] == "综合服务"
    names = [f["name"] for f in described["fields"]]
    assert names == ["kind", "title"]  # no photos on the API
    kind, title = described["fields"]
    assert kind["type"] == "choice" and [o["value"] for o in kind["options"]] == ["a", "b"]
    assert title == {
        "name": "title",
        "type": "text",
        "label": "详细说明",
        "required": True,
        "max_length": 200,
    }


def test_labels_for_the_desk_speak_of_the_other_person() -> None:
    title = Text(name="t", label=lambda _: "What do you need?", others_label=lambda _: "They?")
    assert title.label_for(_ctx()) == "What do you need?"
    assert title.label_for(_ctx("desk", for_others=True)) == "They?"


def test_a_context_needs_an_organisation() -> None:
    with pytest.raises(ValueError):
        _ = FormContext(None, SERVICE, "qr").org_id
    assert _ctx().org_id == 1


async def test_a_time_range_is_read_in_the_organisations_zone() -> None:
    when = DateTimeRange(name="when", label=lambda _: "When", required=True, max_hours=4)
    ctx = FormContext(None, SERVICE, "pwa", org=1, zone="Asia/Shanghai")
    ahead = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)
    day = ahead.strftime("%Y-%m-%d")
    form = Form({"when_start": f"{day}T14:00", "when_end": f"{day}T15:30"})
    with use_locale("en", "UTC"):
        start, end = await when.read(form, ctx)
    assert form.errors == {}
    assert start.tzinfo is not None and start.astimezone(ZoneInfo("Asia/Shanghai")).hour == 14
    assert end - start == timedelta(minutes=90)
    cases = {
        (f"{day}T15:00", f"{day}T14:00"): {"when_end": "The end must be after the start."},
        (f"{day}T08:00", f"{day}T13:00"): {"when_end": "At most 4 hours from the start."},
        ("2020-01-01T10:00", "2020-01-01T11:00"): {"when_start": "The start is in the past."},
        ("tomorrow", f"{day}T14:00"): {
            "when_start": "Enter a date and time such as 2026-03-31 14:00."
        },
    }
    for (a, b), errors in cases.items():
        bad = Form({"when_start": a, "when_end": b})
        with use_locale("en", "UTC"):
            assert await when.read(bad, ctx) is None
        assert bad.errors == errors, (a, b)
    empty = Form({})
    with use_locale("en", "UTC"):
        assert await when.read(empty, ctx) is None
    assert set(empty.errors) == {"when_start", "when_end"}
    optional = DateTimeRange(name="when", label=lambda _: "When")
    assert await optional.read(Form({}), ctx) is None
    # the page may prefill both inputs from its address, and the API is told their names
    assert ServiceForm((when,)).keeps("pwa") == ["when_start", "when_end"]
    assert when.describe(ctx)["inputs"] == ["when_start", "when_end"]
