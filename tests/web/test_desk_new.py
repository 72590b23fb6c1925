"""The desk submits on someone's behalf: theirs to follow, recorded as typed by the desk."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from core.tables import ServiceRequest
from tests.conftest import OrgFixture, login, make_org, post

ROLES = {
    "employee": ("employee",),
    "dispatcher": ("employee", "dispatcher"),
    "nobody": ("employee",),
}

FORM = {"kind": "facilities", "title": "电话报修：会议室空调不制冷", "priority": "high"}


async def _count(org: OrgFixture) -> int:
    return await ServiceRequest.count().where(ServiceRequest.org == org.id)


async def test_dispatcher_submits_for_an_employee(client: AsyncTestClient, db) -> None:
    org = await make_org(ROLES)
    await login(client, org.logins["dispatcher"])
    page = await client.get("/desk/new?q=employee", headers={"accept-language": "en"})
    assert page.status_code == 200 and org.logins["employee"] in page.text
    # the typeahead asks for the people block alone
    partial = await client.get("/desk/new?q=employee", headers={"hx-request": "true"})
    assert 'id="matches"' in partial.text and "<html" not in partial.text
    form = {**FORM, "user": str(org.users["employee"]), "submit_token": "desk-1"}
    done = await post(client, "/desk/new/general", form)
    assert done.status_code == 303
    number = done.headers["location"].rsplit("/", 1)[1]
    row = (
        await ServiceRequest.select()
        .where((ServiceRequest.org == org.id) & (ServiceRequest.number == number))
        .first()
    )
    assert row["requester"] == org.users["employee"]
    assert row["submitted_by"] == org.users["dispatcher"] and row["channel"] == "desk"
    again = await post(client, "/desk/new/general", form)  # a double click
    assert again.headers["location"] == done.headers["location"] and await _count(org) == 1
    # it is the employee's: in their inbox
    await login(client, org.logins["employee"])
    inbox = await client.get("/requests")
    assert number in inbox.text


async def test_bad_input_and_strangers_leave_nothing(
    client: AsyncTestClient, other_org: OrgFixture, db
) -> None:
    org = await make_org(ROLES)
    await login(client, org.logins["dispatcher"])
    missing = await post(client, "/desk/new/general", {**FORM, "submit_token": "t1"})
    assert missing.status_code == 422
    stranger = {**FORM, "user": str(other_org.users["employee"]), "submit_token": "t2"}
    refused = await post(client, "/desk/new/general", stranger, headers={"accept-language": "en"})
    assert refused.status_code == 422 and "Search for a person and choose them." in refused.text
    empty = {"user": str(org.users["employee"]), "submit_token": "t3"}
    assert (await post(client, "/desk/new/general", empty)).status_code == 422
    assert (await post(client, "/desk/new/nope", {**FORM, "submit_token": "t4"})).status_code == 404
    assert await _count(org) == 0 and await _count(other_org) == 0


async def test_only_desk_staff_submit_for_others(client: AsyncTestClient, db) -> None:
    org = await make_org(ROLES)
    await login(client, org.logins["nobody"])
    assert (await client.get("/desk/new")).status_code == 403
    form = {**FORM, "user": str(org.users["employee"]), "submit_token": "n1"}
    assert (await post(client, "/desk/new/general", form)).status_code == 403
    assert await _count(org) == 0
