"""The approval_facts hook: plugins tell routing facts about a request (DESIGN §3).

A tiny plugin is registered per test (on the per-test app) and, for the per-org test,
listed as installed so an organisation can switch it off like any other plugin.
"""

from __future__ import annotations

import types
from decimal import Decimal

from litestar.testing import AsyncTestClient

from core.default_plugin import GENERAL
from core.descriptors import PluginInfo
from core.hookspecs import hookimpl
from core.identity.service import load_actor, set_plugin_enabled
from core.lifecycle.approvals import ApprovalSubject
from core.lifecycle.submit import NewRequest, submit
from core.plugins import InstalledPlugin
from core.tables import ApprovalStep, ServiceRequest
from tests.conftest import OrgFixture, login, post
from tests.web.test_approvals_flow import CHAIN, _org_with_departments, _rule, _status

IT_RULE = {"category": ["it"]}


def _plugin(slug: str, answer) -> types.ModuleType:
    module = types.ModuleType(f"fake_{slug}")
    module.approval_facts = hookimpl(answer)  # type: ignore[attr-defined]
    return module


def _install(app, slug: str, module: types.ModuleType) -> None:
    """Register ``module`` as an installed plugin (before any actor is loaded)."""
    registry = app.state.plugins
    registry.pm.register(module, name=slug)
    registry.installed[slug] = InstalledPlugin(
        info=PluginInfo(slug=slug, name=lambda _: slug, description=lambda _: slug),
        module=module,
        settings={},
    )
    registry._subsets.clear()  # hook subsets are cached per set of enabled plugins


def _laptops_are_it(request: ApprovalSubject):
    if request.service != "general":
        return None
    return {"category": "it" if "laptop" in request.title.lower() else "other"}


async def _submit(app, org: OrgFixture, title: str, **kwargs):
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    data = NewRequest(kind="other", title=title, amount=kwargs.pop("amount", None))
    return await submit(actor, GENERAL, data, channel="pwa", **kwargs)


async def test_plugin_facts_route_a_submit(app) -> None:
    seen: list[ApprovalSubject] = []

    def answer(request: ApprovalSubject):
        seen.append(request)
        return _laptops_are_it(request)

    app.state.plugins.pm.register(_plugin("facts", answer), name="fake_facts")
    org = await _org_with_departments()
    await _rule(org, position=10, facts=IT_RULE, mode="chain", steps=CHAIN[:1])

    laptop = await _submit(app, org, "New laptop")
    assert await _status(laptop.id) == "pending_approval"
    assert seen[-1].number == laptop.number and seen[-1].request_id == laptop.id
    chair = await _submit(app, org, "New chair")
    assert await _status(chair.id) == "approved"
    # what the submitting code passes wins over a hook answer
    overruled = await _submit(app, org, "laptop bag", facts={"category": "accessory"})
    assert await _status(overruled.id) == "approved"


async def test_async_hook_answers_are_awaited(app) -> None:
    async def answer(request: ApprovalSubject):
        return {"category": "it"}

    app.state.plugins.pm.register(_plugin("afacts", answer), name="fake_afacts")
    org = await _org_with_departments()
    await _rule(org, position=10, facts=IT_RULE, mode="chain", steps=CHAIN[:1])
    made = await _submit(app, org, "anything")
    assert await _status(made.id) == "pending_approval"


async def test_a_plugin_switched_off_is_not_asked(app) -> None:
    _install(app, "itfacts", _plugin("itfacts", lambda request: {"category": "it"}))
    on = await _org_with_departments()
    off = await _org_with_departments()
    await set_plugin_enabled(off.id, "itfacts", False, None)
    for org in (on, off):
        await _rule(org, position=10, facts=IT_RULE, mode="chain", steps=CHAIN[:1])
    assert await _status((await _submit(app, on, "x")).id) == "pending_approval"
    assert await _status((await _submit(app, off, "x")).id) == "approved"


async def test_rule_tester_uses_plugin_and_typed_facts(client: AsyncTestClient, app) -> None:
    app.state.plugins.pm.register(_plugin("facts", _laptops_are_it), name="fake_facts")
    org = await _org_with_departments()
    await _rule(org, position=10, facts=IT_RULE, mode="chain", steps=CHAIN[:1])
    await login(client, org.logins["admin"])
    form = {"service": "general", "kind": "other", "requester": org.logins["employee"]}
    # the tester's sample has no title, so the plugin says "other"
    plain = await post(client, "/admin/approvals/test", form)
    assert plain.status_code == 200
    assert "No rule matches." in plain.text and "category=other" in plain.text
    typed = await post(client, "/admin/approvals/test", {**form, "facts": "category=it"})
    assert "The rule “rule” matches." in typed.text and "category=it" in typed.text
    bad = await post(client, "/admin/approvals/test", {**form, "facts": "no equals sign"})
    assert bad.status_code == 422 and "one fact per line" in bad.text


async def test_an_edit_is_rerouted_with_hook_and_submitted_facts(
    client: AsyncTestClient, app
) -> None:
    app.state.plugins.pm.register(_plugin("facts", _laptops_are_it), name="fake_facts")
    org = await _org_with_departments()
    await _rule(org, position=10, facts=IT_RULE, mode="chain", steps=CHAIN[:1])
    made = await _submit(app, org, "New chair")
    assert await _status(made.id) == "approved"
    await login(client, org.logins["employee"])
    edited = await post(
        client,
        f"/requests/{made.number}/edit",
        {"title": "New laptop", "priority": "normal", "version": "2"},
    )
    assert edited.status_code == 303, edited.text
    assert await _status(made.id) == "pending_approval"


async def test_submitted_facts_are_kept_for_rerouting(client: AsyncTestClient, app) -> None:
    org = await _org_with_departments()
    # IT purchases from 1000 need two steps, others one
    await _rule(
        org, position=5, facts=IT_RULE, min_amount=Decimal("1000"), mode="chain", steps=CHAIN
    )
    await _rule(org, position=10, min_amount=Decimal("1000"), mode="chain", steps=CHAIN[:1])
    made = await _submit(app, org, "显示器", amount=Decimal("500"), facts={"category": "it"})
    assert await _status(made.id) == "approved"
    version = (
        await ServiceRequest.select(ServiceRequest.version)
        .where(ServiceRequest.id == made.id)
        .first()
    )["version"]
    await login(client, org.logins["employee"])
    response = await post(
        client,
        f"/requests/{made.number}/edit",
        {"title": "显示器", "priority": "normal", "amount": "5000", "version": str(version)},
    )
    assert response.status_code == 303
    steps = await ApprovalStep.count().where(
        (ApprovalStep.request == made.id) & (ApprovalStep.status != "superseded")
    )
    assert steps == 2  # the IT rule, because the submit's facts were kept
