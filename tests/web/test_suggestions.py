"""The suggestion box: named and anonymous suggestions, receipts, answers, the desk list."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

import web.logs
from core import suggestions
from core.identity.service import load_actor
from core.tables import AuditEntry, Notification, Suggestion, SuggestionQuota, SuggestionReply
from tests.conftest import OrgFixture, QueryCounter, login, make_org, post

CODE = re.compile(r'id="receipt-code">([0-9A-Z-]+)<')


def _form(body: str = "食堂的汤太咸了", topic: str = "canteen", **extra: str) -> dict[str, str]:
    return {
        "topic": topic,
        "body": body,
        "submit_token": extra.pop("token", "tok-" + body[:8]),
        **extra,
    }


async def _token(client: AsyncTestClient) -> str:
    page = await client.get("/suggestions")
    assert page.status_code == 200
    found = re.search(r'name="submit_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


class LogRecorder:
    """Stands in for the structlog logger of the request log."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def info(self, event: str, **fields: Any) -> None:
        self.lines.append({"event": event, **fields})


async def test_named_suggestion_is_answered_and_the_author_notified(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["employee"])
    token = await _token(client)
    sent = await post(client, "/suggestions", _form("午餐能否增加素菜窗口？", token=token))
    assert sent.status_code == 303
    row = await Suggestion.objects().where(Suggestion.submit_token == token).first()
    assert row.author == org.users["employee"] and row.receipt_hash is None
    assert sent.headers["location"] == f"/suggestions/{row.id}"
    box = await client.get("/suggestions")
    assert "午餐能否增加素菜窗口" in box.text and f"/suggestions/{row.id}" in box.text
    assert (await client.get(f"/suggestions/{row.id}")).status_code == 200

    await login(client, org.logins["auditor"])  # another employee of the same org
    assert (await client.get(f"/suggestions/{row.id}")).status_code == 404
    assert "午餐能否增加素菜窗口" not in (await client.get("/suggestions")).text

    await login(client, org.logins["admin"])
    desk = await client.get("/desk/suggestions")
    assert desk.status_code == 200
    assert "午餐能否增加素菜窗口" in desk.text and f"Employee {org.slug}" in desk.text
    answered = await post(
        client, f"/desk/suggestions/{row.id}", {"body": "下周起增加素菜窗口。", "status": "planned"}
    )
    assert answered.status_code == 303
    row = await Suggestion.objects().where(Suggestion.id == row.id).first()
    assert row.status == "planned" and row.replied_at is not None
    reply = await SuggestionReply.objects().where(SuggestionReply.suggestion == row.id).first()
    assert reply.author == org.users["admin"] and reply.status == "planned"
    assert await AuditEntry.exists().where(
        (AuditEntry.org == org.id) & (AuditEntry.action == "suggestion.answered")
    )
    # a status change alone is an answer too, and tells the author in its own words
    assert (
        await post(client, f"/desk/suggestions/{row.id}", {"body": "", "status": "done"})
    ).status_code == 303

    notes = await Notification.select().where(Notification.user == org.users["employee"])
    assert sorted(n["kind"] for n in notes) == ["suggestion:replied", "suggestion:status:done"]
    assert all(n["request"] is None for n in notes)

    await login(client, org.logins["employee"])
    page = await client.get("/notifications")
    assert page.status_code == 200
    assert (
        "Your suggestion has a reply" in page.text and "Your suggestion is now: Done" in page.text
    )
    assert "Suggestion box · Canteen" in page.text
    opened = await post(client, f"/notifications/{notes[0]['id']}/open")
    assert opened.status_code == 303 and opened.headers["location"] == f"/suggestions/{row.id}"
    detail = await client.get(f"/suggestions/{row.id}")
    assert "下周起增加素菜窗口。" in detail.text and "Done" in detail.text


async def test_anonymous_suggestion_stores_no_user_and_opens_with_its_receipt(
    client: AsyncTestClient, org: OrgFixture, other_org: OrgFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = LogRecorder()
    monkeypatch.setattr(web.logs, "log", recorder)
    employee = org.users["employee"]
    await login(client, org.logins["employee"])
    token = await _token(client)
    audits_before = await AuditEntry.count().where(AuditEntry.actor_id == employee)
    sent = await post(
        client,
        "/suggestions",
        _form("三楼厕所经常没有纸", "environment", token=token, anonymous="on"),
    )
    assert sent.status_code == 201
    code = CODE.search(sent.text).group(1)
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)

    row = await Suggestion.objects().where(Suggestion.submit_token == token).first()
    assert row.author is None
    assert row.receipt_hash == suggestions.receipt_hash(code) and code not in str(row.to_dict())
    assert row.created_at.minute == 0 and row.created_at.second == 0
    # nothing else ties it to the author: no audit entry, no user id in the quota table,
    # and the request log line of the submit names nobody
    assert await AuditEntry.count().where(AuditEntry.actor_id == employee) == audits_before
    quota = await SuggestionQuota.select().where(SuggestionQuota.org == org.id)
    assert len(quota) == 1 and set(quota[0]) == {"id", "org", "key", "day", "used"}
    assert quota[0]["key"] != suggestions.quota_key("", org.id, employee, quota[0]["day"])
    posted = [r for r in recorder.lines if r["method"] == "POST" and r["path"] == "/suggestions"]
    assert posted and all(r["user"] is None and r["org"] is None for r in posted)
    assert any(r["user"] == employee for r in recorder.lines)  # other requests still do
    assert "三楼厕所" not in (await client.get("/suggestions")).text  # not under "mine"

    # the receipt opens it, however the code is typed; a wrong code is a clear 404
    assert (await client.get("/suggestions/receipt")).status_code == 200
    typed = code.lower().replace("-", " ").replace("0", "o")
    found = await post(client, "/suggestions/receipt", {"code": typed})
    assert found.status_code == 200 and "三楼厕所经常没有纸" in found.text
    wrong = await post(client, "/suggestions/receipt", {"code": "AAAA-BBBB-CCCC-DDDD"})
    assert wrong.status_code == 404
    assert "No suggestion has this receipt code" in wrong.text
    assert (await post(client, "/suggestions/receipt", {"code": ""})).status_code == 422

    # the admin answers; there is nobody to notify, the receipt shows the answer
    await login(client, org.logins["admin"])
    desk = await client.get("/desk/suggestions")
    assert "三楼厕所经常没有纸" in desk.text and "Anonymous" in desk.text
    notes_before = await Notification.count().where(Notification.org == org.id)
    assert (
        await post(
            client, f"/desk/suggestions/{row.id}", {"body": "已加装感应纸巾机", "status": "done"}
        )
    ).status_code == 303
    assert await Notification.count().where(Notification.org == org.id) == notes_before
    await login(client, org.logins["employee"])
    assert "已加装感应纸巾机" in (await post(client, "/suggestions/receipt", {"code": code})).text

    # the same code means nothing in another organisation
    await login(client, other_org.logins["employee"])
    assert (await post(client, "/suggestions/receipt", {"code": code})).status_code == 404


async def test_bad_input_is_refused_with_a_message_and_nothing_stored(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["employee"])
    before = await Suggestion.count().where(Suggestion.org == org.id)
    no_topic = await post(client, "/suggestions", _form("x", topic="weather"))
    assert no_topic.status_code == 422 and "Choose what your suggestion is about." in no_topic.text
    empty = await post(client, "/suggestions", _form("   "))
    assert empty.status_code == 422 and "Write your suggestion." in empty.text
    too_long = await post(client, "/suggestions", _form("长" * 2001, token="long"))
    assert too_long.status_code == 422 and "At most 2000 characters." in too_long.text
    assert "长" * 100 in too_long.text  # the text is kept in the form
    no_token = await post(client, "/suggestions", {"topic": "other", "body": "x"})
    assert no_token.status_code == 400
    assert await Suggestion.count().where(Suggestion.org == org.id) == before
    # browsers send line breaks as CRLF; 2000 characters with line breaks still fit
    fits = await post(client, "/suggestions", _form("a\r\n" * 1000, token="crlf"))
    assert fits.status_code == 303


async def test_a_replayed_submit_stores_one_suggestion(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["employee"])
    first = await post(client, "/suggestions", _form("同一条", token="replay-named"))
    again = await post(client, "/suggestions", _form("同一条", token="replay-named"))
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    anon = _form("匿名同一条", token="replay-anon", anonymous="on")
    assert (await post(client, "/suggestions", anon)).status_code == 201
    replay = await post(client, "/suggestions", anon)
    assert replay.status_code == 200 and "was sent already" in replay.text
    assert CODE.search(replay.text) is None
    assert await Suggestion.count().where(Suggestion.org == org.id) == 2


async def test_daily_limit_counts_named_and_anonymous_alike(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["employee"])
    for i in range(suggestions.DAILY_LIMIT):
        extra = {"anonymous": "on"} if i % 2 else {}
        response = await post(client, "/suggestions", _form(f"第{i}条", token=f"q{i}", **extra))
        assert response.status_code in (201, 303)
    over = await post(client, "/suggestions", _form("第十一条", token="q-over"))
    assert over.status_code == 429
    assert "You have sent 10 suggestions today" in over.text and "第十一条" in over.text
    assert await Suggestion.count().where(Suggestion.org == org.id) == suggestions.DAILY_LIMIT
    await login(client, org.logins["auditor"])  # someone else still can
    assert (await post(client, "/suggestions", _form("别人的", token="q-other"))).status_code == 303


async def test_concurrent_submits_never_pass_the_limit(app) -> None:
    org = await make_org()
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    secret = app.state.settings.secret_key
    yesterday = datetime.now(UTC) - timedelta(days=1)
    await suggestions.submit(
        actor, topic="other", body="昨天", anonymous=False, token="y", secret=secret, when=yesterday
    )
    results = await asyncio.gather(
        *(
            suggestions.submit(
                actor, topic="other", body=f"{i}", anonymous=True, token=f"c{i}", secret=secret
            )
            for i in range(suggestions.DAILY_LIMIT + 3)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, suggestions.Sent) for r in results) == suggestions.DAILY_LIMIT
    assert all(isinstance(r, suggestions.Sent | suggestions.QuotaExceeded) for r in results), (
        results
    )
    # yesterday's count did not use up today's, and its row is gone
    days = {q["day"] for q in await SuggestionQuota.select().where(SuggestionQuota.org == org.id)}
    assert len(days) == 1


async def test_only_managers_reach_the_desk(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["employee"])
    await post(client, "/suggestions", _form("给后勤的建议", token="perm"))
    row = await Suggestion.objects().where(Suggestion.submit_token == "perm").first()
    assert (await client.get("/desk/suggestions")).status_code == 403
    assert (await client.get(f"/desk/suggestions/{row.id}")).status_code == 403
    refused = await post(client, f"/desk/suggestions/{row.id}", {"body": "x", "status": "done"})
    assert refused.status_code == 403
    assert "/desk/suggestions" not in (await client.get("/me")).text
    assert 'href="/suggestions"' in (await client.get("/")).text  # the home tile

    await login(client, org.logins["admin"])
    assert 'href="/desk/suggestions"' in (await client.get("/me")).text
    assert (await client.get(f"/desk/suggestions/{row.id}")).status_code == 200
    nothing = await post(client, f"/desk/suggestions/{row.id}", {"body": "", "status": "new"})
    assert nothing.status_code == 422 and "Write a reply or choose a new status." in nothing.text
    bogus = await post(client, f"/desk/suggestions/{row.id}", {"body": "x", "status": "sold"})
    assert bogus.status_code == 422
    assert not await SuggestionReply.exists().where(SuggestionReply.suggestion == row.id)
    assert (await client.get("/desk/suggestions/999999999")).status_code == 404


async def _bulk(org: OrgFixture, n: int, start: int = 0) -> None:
    await Suggestion.insert(
        *[
            Suggestion(
                org=org.id,
                author=org.users["employee"] if i % 2 else None,
                topic=suggestions.TOPICS[i % len(suggestions.TOPICS)],
                body=f"bulk {i}",
                status=suggestions.STATUSES[i % len(suggestions.STATUSES)],
                submit_token=f"bulk-{org.id}-{i}",
            )
            for i in range(start, start + n)
        ]
    )


async def test_desk_list_filters_pages_and_keeps_a_fixed_query_count(
    client: AsyncTestClient, org: OrgFixture, queries: QueryCounter
) -> None:
    await _bulk(org, 5)
    await login(client, org.logins["admin"])
    paths = [
        "/desk/suggestions",
        "/desk/suggestions?status=new",
        "/desk/suggestions?topic=canteen&status=new",
    ]

    async def count(path: str) -> int:
        queries.reset()
        assert (await client.get(path)).status_code == 200
        return queries.count

    before = {p: await count(p) for p in paths}
    await _bulk(org, 120, start=5)
    after = {p: await count(p) for p in paths}
    assert after == before and before["/desk/suggestions"] <= 6

    first = await client.get("/desk/suggestions")
    assert first.text.count('href="/desk/suggestions/') == suggestions.PAGE
    assert "bulk 124" in first.text and "bulk 74" not in first.text  # newest first
    older = re.search(r'href="(/desk/suggestions\?[^"]*before=\d+)"', first.text)
    assert older
    second = await client.get(older.group(1).replace("&amp;", "&"))
    assert "bulk 74" in second.text and "bulk 124" not in second.text
    planned = await client.get(
        "/desk/suggestions", params={"status": "planned", "topic": "facilities"}
    )
    bodies = re.findall(r">bulk (\d+)<", planned.text)
    assert bodies and all(int(b) % 5 == 2 for b in bodies)
