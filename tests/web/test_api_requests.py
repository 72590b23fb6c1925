"""The JSON API for requests: token auth, Idempotency-Key, translated field errors, 404s."""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient

from core.identity.service import issue_token
from core.tables import ServiceRequest
from tests.conftest import OrgFixture

BODY = {"service": "general", "kind": "cleaning", "title": "会议室需要打扫", "location": "3F"}


async def _token(org: OrgFixture, who: str = "employee") -> dict[str, str]:
    return {"Authorization": f"Bearer {await issue_token(org.id, org.users[who], 'test')}"}


async def test_submit_list_read_cancel(client: AsyncTestClient, org: OrgFixture) -> None:
    auth = await _token(org)
    created = await client.post("/api/v1/requests", json=BODY, headers=auth)
    assert created.status_code == 201, created.text
    body = created.json()
    number = body["number"]
    assert body["status"] == "approved" and body["approval_mode"] == "auto"
    assert created.headers["location"] == f"/api/v1/requests/{number}"
    assert [e["to_status"] for e in body["events"]] == ["approved", "submitted"]
    listed = (await client.get("/api/v1/requests", headers=auth)).json()
    assert [r["number"] for r in listed] == [number]
    one = (await client.get(f"/api/v1/requests/{number}", headers=auth)).json()
    assert one["title"] == "会议室需要打扫"
    cancelled = await client.post(
        f"/api/v1/requests/{number}/cancel", json={"reason": "不用了"}, headers=auth
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await client.post(
        f"/api/v1/requests/{number}/cancel", json={}, headers={**auth, "Accept-Language": "en"}
    )
    assert again.status_code == 409 and "can no longer be cancelled" in again.json()["detail"]


async def test_idempotency_key_replay_makes_one_request(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    auth = {**await _token(org), "Idempotency-Key": "order-42"}
    first = await client.post("/api/v1/requests", json=BODY, headers=auth)
    replay = await client.post("/api/v1/requests", json=BODY, headers=auth)
    assert first.status_code == 201 and replay.status_code == 200
    assert first.json()["number"] == replay.json()["number"]
    burst = await asyncio.gather(
        *(
            client.post("/api/v1/requests", json=BODY, headers={**auth, "Idempotency-Key": "burst"})
            for _ in range(5)
        )
    )
    assert len({r.json()["number"] for r in burst}) == 1
    assert await ServiceRequest.count().where(ServiceRequest.org == org.id) == 2


async def test_field_errors_are_translated_and_nothing_is_written(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    auth = await _token(org)
    zh = await client.post(
        "/api/v1/requests",
        json={"service": "general", "kind": "x"},
        headers={**auth, "Accept-Language": "zh-CN"},
    )
    assert zh.status_code == 422
    errors = zh.json()["errors"]
    assert errors["kind"] == "请选择申请类别。" and "title" in errors
    unknown = await client.post(
        "/api/v1/requests",
        json={**BODY, "service": "nope"},
        headers={**auth, "Accept-Language": "en"},
    )
    assert (
        unknown.status_code == 422
        and unknown.json()["errors"]["service"] == "Choose a service from the list."
    )
    too_long = await client.post(
        "/api/v1/requests", json=BODY, headers={**auth, "Idempotency-Key": "k" * 200}
    )
    assert too_long.status_code == 400
    assert "1 to 120 characters" in too_long.json()["detail"]
    assert await ServiceRequest.count().where(ServiceRequest.org == org.id) == 0
    # the longest key allowed still fits its column ("api:" + key): 201, not a 500
    longest = await client.post(
        "/api/v1/requests", json=BODY, headers={**auth, "Idempotency-Key": "k" * 120}
    )
    assert longest.status_code == 201, longest.text


async def test_api_writes_need_a_token_and_reads_stay_in_the_org(
    client: AsyncTestClient, org: OrgFixture, other_org: OrgFixture
) -> None:
    from tests.conftest import login

    await login(client, org.logins["employee"])
    assert (
        await client.post("/api/v1/requests", json=BODY)
    ).status_code == 403  # cookie alone cannot write
    client.cookies.clear()
    theirs = (
        await client.post(
            "/api/v1/requests", json={**BODY, "title": "theirs"}, headers=await _token(other_org)
        )
    ).json()
    mine = await _token(org)
    await client.post("/api/v1/requests", json=BODY, headers=mine)
    await client.post("/api/v1/requests", json=BODY, headers=mine)  # numbers differ from theirs now
    second = (await client.get("/api/v1/requests", headers=mine)).json()
    assert all(r["title"] != "theirs" for r in second)
    theirs_number = theirs["number"]
    mine_numbers = {r["number"] for r in second}
    if theirs_number not in mine_numbers:
        assert (
            await client.get(f"/api/v1/requests/{theirs_number}", headers=mine)
        ).status_code == 404
    colleague = await _token(org, "notices_admin")
    assert (
        await client.get(f"/api/v1/requests/{second[0]['number']}", headers=colleague)
    ).status_code == 404
    assert (
        await client.post(
            f"/api/v1/requests/{second[0]['number']}/cancel", json={}, headers=colleague
        )
    ).status_code == 404


async def test_a_services_form_is_described_for_api_clients(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    auth = {**await _token(org), "Accept-Language": "zh-CN"}
    described = (await client.get("/api/v1/services/general/form", headers=auth)).json()
    names = [f["name"] for f in described["fields"]]
    assert names == ["kind", "title", "description", "location", "amount", "priority"]
    title = described["fields"][1]
    assert title["label"] == "需要办理什么？" and title["required"] and title["max_length"] == 200
    bad = await client.post(
        "/api/v1/requests", json={**BODY, "amount": "lots", "priority": "asap"}, headers=auth
    )
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"amount", "priority"}
