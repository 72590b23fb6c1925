"""What will happen, before submit: the outlook names the approver the rules will pick,
from the same rules and org chart as routing (both engines), and the phone form asks it
as the person types."""

from __future__ import annotations

from decimal import Decimal

from litestar.testing import AsyncTestClient

from core.identity.service import load_actor
from core.lifecycle.outlook import MAX_NAMES, outlook
from core.tables import ApprovalTask, RoleGrant, ServiceRequest
from tests.conftest import QueryCounter, login, post
from tests.web.test_approvals_flow import CHAIN, _org_with_departments, _rule

HEAD_ONLY = [CHAIN[0]]


async def _actor(app, org, who: str = "employee"):
    return await load_actor(org.users[who], app.state.plugins, app.state.permissions)


async def test_no_rules_is_automatic_with_one_query(app, db, queries: QueryCounter) -> None:
    org = await _org_with_departments()
    actor = await _actor(app, org)
    queries.reset()
    assert (await outlook(actor, "general", "other", Decimal("99999"))).mode == "auto"
    assert queries.count == 1


async def test_the_amount_tier_names_the_department_head(app, db) -> None:
    org = await _org_with_departments()
    await _rule(org, position=10, min_amount=Decimal("1000"), mode="chain", steps=HEAD_ONLY)
    await _rule(org, position=20, min_amount=Decimal("200"), mode="filing")
    actor = await _actor(app, org)
    big = await outlook(actor, "general", "other", Decimal("1500"))
    assert big.mode == "chain" and big.steps == 1
    assert big.first is not None
    assert big.first.names == (f"Head {org.slug}",) and big.first.department == "销售部"
    assert (await outlook(actor, "general", "other", Decimal("500"))).mode == "filing"
    assert (await outlook(actor, "general", "other", Decimal("50"))).mode == "auto"
    assert (await outlook(actor, "general", "other", None)).mode == "auto"


async def test_a_heads_own_request_names_the_head_above(app, db) -> None:
    org = await _org_with_departments()
    await _rule(org, position=10, mode="chain", steps=CHAIN)
    ahead = await outlook(await _actor(app, org, "head"), "general", "other", Decimal("1"))
    assert ahead.first is not None and ahead.steps == 2
    assert ahead.first.names == (f"Bighead {org.slug}",) and ahead.first.department == "总部"


async def test_a_role_step_names_a_few_and_counts_the_rest(app, db, queries) -> None:
    org = await _org_with_departments()
    await _rule(org, position=10, mode="chain", steps=[CHAIN[1]])
    for who in ("deputy", "outsider", "auditor"):
        await RoleGrant.insert(RoleGrant(org=org.id, user=org.users[who], role="approver"))
    actor = await _actor(app, org)
    queries.reset()
    ahead = await outlook(actor, "general", "other")
    fixed = queries.count
    assert ahead.first is not None and len(ahead.first.names) == MAX_NAMES
    assert ahead.first.more == 6 - MAX_NAMES and ahead.first.department == ""
    await RoleGrant.insert(RoleGrant(org=org.id, user=org.users["admin"], role="approver"))
    queries.reset()
    assert (await outlook(actor, "general", "other")).first.more == 7 - MAX_NAMES
    assert queries.count == fixed  # a fixed number of queries, whatever the holders


async def test_the_form_asks_and_the_submit_does_what_it_said(
    client: AsyncTestClient, app, db
) -> None:
    org = await _org_with_departments()
    await _rule(org, position=10, min_amount=Decimal("1000"), mode="chain", steps=HEAD_ONLY)
    await login(client, org.logins["employee"])
    form = (await client.get("/new/general")).text
    assert 'name="amount"' in form and 'hx-post="/new/general/outlook"' in form
    said = await post(client, "/new/general/outlook", {"kind": "other", "amount": "1500"})
    assert said.status_code == 200
    assert f"Needs approval by Head {org.slug} (head of 销售部)" in said.text
    small = await post(client, "/new/general/outlook", {"kind": "other", "amount": "1,5"})
    assert "Approved automatically" in small.text  # half-typed: as if no amount yet
    assert (await post(client, "/new/nope/outlook", {})).status_code == 404

    token = "t-outlook-1"
    made = await post(
        client,
        "/new/general",
        {"kind": "other", "title": "采购投影仪", "amount": "1500", "submit_token": token},
    )
    assert made.status_code == 303
    row = (
        await ServiceRequest.select(ServiceRequest.id, ServiceRequest.status, ServiceRequest.amount)
        .where(ServiceRequest.org == org.id)
        .first()
    )
    assert row["status"] == "pending_approval" and Decimal(str(row["amount"])) == 1500
    tasks = await ApprovalTask.select(ApprovalTask.user).where(ApprovalTask.request == row["id"])
    assert [t["user"] for t in tasks] == [org.users["head"]]
    page = (await client.get(made.headers["location"])).text
    assert f"Waiting for Head {org.slug}" in page  # the step names the person it waits for
    bad = await post(
        client,
        "/new/general",
        {"kind": "other", "title": "x", "amount": "lots", "submit_token": "t-outlook-2"},
    )
    assert bad.status_code == 422 and "Enter an amount such as 5000" in bad.text


async def test_the_api_takes_an_amount_and_routes_it(client: AsyncTestClient, app, db) -> None:
    from core.identity.service import issue_token

    org = await _org_with_departments()
    await _rule(org, position=10, min_amount=Decimal("1000"), mode="chain", steps=HEAD_ONLY)
    auth = {"Authorization": f"Bearer {await issue_token(org.id, org.users['employee'], 't')}"}
    body = {"service": "general", "kind": "other", "title": "采购投影仪"}
    big = await client.post("/api/v1/requests", json={**body, "amount": "1500"}, headers=auth)
    assert big.status_code == 201 and big.json()["status"] == "pending_approval"
    small = await client.post("/api/v1/requests", json={**body, "amount": "15"}, headers=auth)
    assert small.status_code == 201 and small.json()["status"] != "pending_approval"
    bad = await client.post("/api/v1/requests", json={**body, "amount": "lots"}, headers=auth)
    assert bad.status_code == 422 and "amount" in bad.json()["errors"]


async def test_only_what_a_rule_asks_about_is_read(app, db, queries: QueryCounter) -> None:
    """An amount tier needs neither the requester's roles nor the department tree: one
    query (the rules) decides a small request; a rule naming roles reads them too, and
    still decides right."""
    org = await _org_with_departments()
    await _rule(org, position=10, min_amount=Decimal("1000"), mode="chain", steps=HEAD_ONLY)
    actor = await _actor(app, org)
    queries.reset()
    assert (await outlook(actor, "general", "other", Decimal("10"))).mode == "auto"
    assert queries.count == 1
    await _rule(org, position=5, requester_roles=["employee"], mode="filing")
    queries.reset()
    assert (await outlook(actor, "general", "other", Decimal("10"))).mode == "filing"
    assert queries.count == 2  # the rules, the requester's roles
