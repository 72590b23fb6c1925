"""E-mail and plugin channels on both engines, against a real SMTP server (aiosmtpd).

The outbox is written with the notification; jobs send it. Covered: the requester's
e-mail in their language with a link, preferences (off → skipped, digest, quiet
hours), a refusing or absent mail server (the user's action still succeeds; retried,
then failed with the error), a plugin channel through ``deliver_notification``, the
delivery logs with their isolation and fixed query counts.
"""

from __future__ import annotations

import email
import socket
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from litestar.testing import AsyncTestClient

from core.config import Settings
from core.db import write_transaction
from core.default_plugin import GENERAL
from core.hookspecs import hookimpl
from core.identity.service import load_actor
from core.jobs import JobContext
from core.lifecycle.notify import notify
from core.lifecycle.submit import NewRequest, submit
from core.notifications import Message, NotificationChannel, Undeliverable
from core.notifications.outbox import MAX_ATTEMPTS, deliver_due, plan_deliveries
from core.plugins import build_plugin_registry
from core.tables import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    ServiceRequest,
    Team,
    TeamMember,
    User,
)
from tests.conftest import OrgFixture, login, make_org, post

ROLES = {
    "employee": ("employee",),
    "agent": ("employee", "agent"),
    "admin": ("employee", "org_admin"),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    """What the test SMTP server received; ``refuse`` makes it answer 554 to DATA."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: bool = False
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "554 5.7.1 Message rejected by the test server"
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture
def mailbox() -> Any:
    box = Mailbox(port=_free_port())
    box.start()
    yield box
    box.stop()


@pytest.fixture
def settings(settings: Settings, mailbox: Mailbox) -> Settings:
    """The conftest settings, with e-mail on (the app and client fixtures use these)."""
    return replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        smtp_starttls=False,
        smtp_from="Houqin <houqin@example.org>",
        base_url="http://houqin.example.org",
    )


async def _org(locale: str = "en") -> OrgFixture:
    org = await make_org(ROLES, locale=locale)
    team = Team(org=org.id, service="general", name="综合组")
    await team.save()
    await TeamMember(org=org.id, team=team.id, user=org.users["agent"]).save()
    for name, user_id in org.users.items():
        await User.update({User.email: f"{name}.{org.slug}@example.org"}).where(User.id == user_id)
    return org


def _address(org: OrgFixture, name: str) -> str:
    return f"{name}.{org.slug}@example.org"


async def _submit(app, org: OrgFixture, title: str = "会议室空调不制冷"):
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    return await submit(actor, GENERAL, NewRequest(kind="facilities", title=title), channel="pwa")


async def _work(client: AsyncTestClient, org: OrgFixture, number: str, *steps: str) -> None:
    await login(client, org.logins["agent"])
    for step in steps:
        response = await post(client, f"/requests/{number}/actions/{step}")
        assert response.status_code == 303, response.text


async def _deliveries(org: OrgFixture, user: str) -> list[dict[str, Any]]:
    """The user's delivery rows, oldest first, without the approval that every submit
    here gets at once (auto-approved)."""
    return await (
        NotificationDelivery.select(
            NotificationDelivery.status,
            NotificationDelivery.mode,
            NotificationDelivery.attempts,
            NotificationDelivery.last_error,
            NotificationDelivery.due_at,
            NotificationDelivery.notification.kind.as_alias("kind"),
        )
        .where(
            (NotificationDelivery.org == org.id)
            & (NotificationDelivery.user == org.users[user])
            & (NotificationDelivery.notification.kind != "status:approved")
        )
        .order_by(NotificationDelivery.id)
    )


def _ctx(app) -> JobContext:
    return JobContext(settings=app.state.settings, registry=app.state.plugins)


def _text(mail: EmailMessage) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()


def _html(mail: EmailMessage) -> str:
    return mail.get_body(preferencelist=("html",)).get_content()


async def test_resolving_emails_the_requester_in_their_language(
    app, client: AsyncTestClient, mailbox: Mailbox
) -> None:
    org = await _org(locale="en")
    await User.update({User.locale: "zh_CN"}).where(User.id == org.users["employee"])
    made = await _submit(app, org)
    await app.state.jobs.drain()
    # submit dispatched it: the agent hears in the organisation's language (en)
    (task_mail,) = mailbox.to(_address(org, "agent"))
    assert task_mail["Subject"] == f"New task for you: 会议室空调不制冷 ({made.number})"
    mailbox.messages.clear()

    await _work(client, org, made.number, "accept", "start", "resolve")
    await app.state.jobs.drain()
    mails = mailbox.to(_address(org, "employee"))
    assert [m["Subject"] for m in mails] == [
        f"已开始处理：会议室空调不制冷（{made.number}）",
        f"已完成，请确认并评价：会议室空调不制冷（{made.number}）",
    ]
    done = mails[-1]
    link = f"http://houqin.example.org/requests/{made.number}"
    assert done["From"] == "Houqin <houqin@example.org>"
    assert done["Content-Language"] == "zh-CN"
    assert done["Auto-Submitted"] == "auto-generated"
    assert link in _text(done) and "您好" in _text(done)
    html = _html(done)
    assert f'href="{link}"' in html and "查看申请" in html and 'lang="zh-CN"' in html
    assert "http://houqin.example.org/me/notifications" in html
    # the agent is never told about their own actions
    assert mailbox.to(_address(org, "agent")) == []
    rows = await _deliveries(org, "employee")
    assert [(r["kind"], r["status"], r["attempts"]) for r in rows] == [
        ("status:in_progress", "sent", 1),
        ("status:resolved", "sent", 1),
    ]


async def test_turned_off_means_skipped_and_no_email(
    app, client: AsyncTestClient, mailbox: Mailbox
) -> None:
    org = await _org()
    await login(client, org.logins["employee"])
    page = await client.get("/me/notifications")
    assert page.status_code == 200 and 'name="email.progress"' in page.text
    bad = await post(client, "/me/notifications", {"email.progress": "loud"})
    assert bad.status_code == 422 and "Choose one of the listed options." in bad.text
    bad = await post(
        client, "/me/notifications", {"quiet": "on", "quiet_start": "25:00", "quiet_end": "8:00"}
    )
    assert bad.status_code == 422 and "Enter a time such as 22:00." in bad.text
    assert not await NotificationPreference.exists().where(
        NotificationPreference.user == org.users["employee"]
    )
    saved = await post(client, "/me/notifications", {"email.progress": "off"})
    assert saved.status_code == 303
    assert 'value="off" checked' in (await client.get("/me/notifications")).text

    made = await _submit(app, org)
    await _work(client, org, made.number, "start", "resolve")
    await app.state.jobs.drain()
    assert mailbox.to(_address(org, "employee")) == []
    rows = await _deliveries(org, "employee")
    assert [(r["status"], r["last_error"]) for r in rows] == [("skipped", "off")] * 2
    # the in-app list still has both
    assert (
        await Notification.count().where(Notification.user == org.users["employee"]) == 2
    )  # in progress, done (an automatic approval is not announced)
    await login(client, org.logins["employee"])
    log = await client.get("/me/notifications/log", headers={"accept-language": "en"})
    assert "Turned off in the notification settings" in log.text


async def test_quiet_hours_hold_until_they_end(
    app, client: AsyncTestClient, mailbox: Mailbox
) -> None:
    org = await _org()
    tz = ZoneInfo("Asia/Shanghai")
    start = (datetime.now(tz) - timedelta(hours=1)).replace(second=0, microsecond=0)
    end = start + timedelta(hours=3)
    await login(client, org.logins["employee"])
    response = await post(
        client,
        "/me/notifications",
        {"quiet": "on", "quiet_start": f"{start:%H:%M}", "quiet_end": f"{end:%H:%M}"},
    )
    assert response.status_code == 303
    made = await _submit(app, org)
    await _work(client, org, made.number, "start")
    await app.state.jobs.drain()
    assert mailbox.to(_address(org, "employee")) == []
    (row,) = await _deliveries(org, "employee")
    assert row["status"] == "queued" and row["due_at"] == end
    await login(client, org.logins["employee"])
    log = await client.get("/me/notifications/log", headers={"accept-language": "en"})
    assert "Held for quiet hours until" in log.text

    ctx = _ctx(app)
    assert await deliver_due(ctx, org.id, end - timedelta(minutes=1)) == {}
    assert await deliver_due(ctx, org.id, end + timedelta(seconds=1)) == {"sent": 1}
    assert len(mailbox.to(_address(org, "employee"))) == 1


async def test_digest_sends_one_email_with_every_item(
    app, client: AsyncTestClient, mailbox: Mailbox
) -> None:
    org = await _org()
    await login(client, org.logins["employee"])
    assert (
        await post(client, "/me/notifications", {"email.progress": "digest"})
    ).status_code == 303
    first = await _submit(app, org, "first")
    second = await _submit(app, org, "second")
    for made in (first, second):
        await _work(client, org, made.number, "start")
    await app.state.jobs.drain()
    assert mailbox.to(_address(org, "employee")) == []
    rows = await _deliveries(org, "employee")
    assert [(r["mode"], r["status"]) for r in rows] == [("digest", "queued")] * 2
    due = rows[0]["due_at"]
    assert due.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M") == "08:00"

    ctx = _ctx(app)
    assert await deliver_due(ctx, org.id, due + timedelta(minutes=5)) == {}  # not immediate
    # the two starts, in one e-mail
    assert await deliver_due(ctx, org.id, due + timedelta(minutes=5), digest=True) == {"sent": 2}
    assert await deliver_due(ctx, org.id, due + timedelta(minutes=5), digest=True) == {}
    (mail,) = mailbox.to(_address(org, "employee"))
    assert mail["Subject"] == f"Org {org.slug}: 2 updates"
    body = _text(mail)
    assert first.number in body and second.number in body and "last digest" in body


async def test_a_refusing_mail_server_never_fails_the_request(
    app, client: AsyncTestClient, mailbox: Mailbox
) -> None:
    org = await _org()
    made = await _submit(app, org)
    await app.state.jobs.drain()
    mailbox.refuse = True
    await _work(client, org, made.number, "start", "resolve")  # 303s: the user is unaffected
    await app.state.jobs.drain()
    assert app.state.jobs.failures == []
    status = await ServiceRequest.select(ServiceRequest.status).where(ServiceRequest.id == made.id)
    assert status[0]["status"] == "resolved"
    rows = await _deliveries(org, "employee")
    assert [(r["status"], r["attempts"]) for r in rows] == [("queued", 1), ("queued", 1)]
    assert "554" in rows[0]["last_error"]

    ctx = _ctx(app)
    moment = max(r["due_at"] for r in rows)
    for attempt in range(2, MAX_ATTEMPTS + 1):
        moment += timedelta(hours=1)
        assert await deliver_due(ctx, org.id, moment) == {"queued": 2}, attempt
        rows = await _deliveries(org, "employee")
        expected = "failed" if attempt == MAX_ATTEMPTS else "queued"
        assert {(r["status"], r["attempts"]) for r in rows} == {(expected, attempt)}
    assert await deliver_due(ctx, org.id, moment + timedelta(days=1)) == {}
    assert rows[0]["last_error"] == "SMTPDataError: 554 5.7.1 Message rejected by the test server"

    await login(client, org.logins["admin"])
    page = await client.get(
        "/admin/notifications", params={"status": "failed"}, headers={"accept-language": "en"}
    )
    assert page.status_code == 200
    assert page.text.count("Message rejected by the test server") == 2
    # the requester's own log says it failed, without the server's words
    await login(client, org.logins["employee"])
    mine = await client.get("/me/notifications/log", headers={"accept-language": "en"})
    assert "Gave up after several attempts" in mine.text and "test server" not in mine.text


async def test_mail_server_down_leaves_the_message_queued(
    app, client: AsyncTestClient, mailbox: Mailbox
) -> None:
    org = await _org()
    made = await _submit(app, org)
    await app.state.jobs.drain()
    mailbox.messages.clear()
    mailbox.stop()
    await _work(client, org, made.number, "start")  # 303 while the server is down
    await app.state.jobs.drain()
    assert app.state.jobs.failures == []
    (row,) = await _deliveries(org, "employee")
    assert row["status"] == "queued" and row["attempts"] == 1
    assert row["last_error"].startswith("SMTPConnect")
    # the server is back: the sweep after the backoff sends it
    mailbox.start()
    ctx = _ctx(app)
    assert await deliver_due(ctx, org.id, row["due_at"] - timedelta(seconds=1)) == {}
    assert await deliver_due(ctx, org.id, row["due_at"]) == {"sent": 1}
    assert len(mailbox.to(_address(org, "employee"))) == 1


async def test_the_delivery_rows_share_the_notifications_transaction(app, client, db) -> None:
    org = await _org()
    made = await _submit(app, org)
    before = await NotificationDelivery.count().where(NotificationDelivery.org == org.id)
    with pytest.raises(RuntimeError):
        async with write_transaction(db):
            await notify(org.id, made.id, "status:on_hold", [org.users["employee"]], None)
            assert await plan_deliveries(org.id, "status:on_hold", []) == 0
            raise RuntimeError("the change fails after notifying")
    assert await NotificationDelivery.count().where(NotificationDelivery.org == org.id) == before
    assert not await Notification.exists().where(
        (Notification.org == org.id) & (Notification.kind == "status:on_hold")
    )


async def test_no_mail_server_means_no_email_channel(settings: Settings, db) -> None:
    from web.app import create_app

    plain = replace(settings, smtp_host=None)
    app = create_app(plain, build_plugin_registry(plain.plugins_file), manage_engine=False)
    org = await _org()
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        client.follow_redirects = False
        made = await _submit(app, org)
        await app.state.jobs.drain()
        assert await Notification.exists().where(Notification.request == made.id)
        assert not await NotificationDelivery.exists().where(NotificationDelivery.org == org.id)
        await login(client, org.logins["employee"])
        page = await client.get("/me/notifications", headers={"accept-language": "en"})
        assert "notifications reach you in the app only" in page.text
        assert 'name="email.progress"' not in page.text


# -- a plugin's channel through the hooks ----------------------------------------------


class ChatPlugin:
    """A test plugin: a "chat" channel that collects what it is asked to send."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    @hookimpl
    def register_notification_channels(self) -> list[NotificationChannel]:
        return [NotificationChannel("chat", lambda _: _("Chat"), default="immediate")]

    @hookimpl
    async def deliver_notification(self, message: Message, ctx: JobContext) -> bool | None:
        if message.channel != "chat":
            return None
        if not message.recipient.phone:
            raise Undeliverable("no chat account")
        self.sent.append(message)
        return True


async def test_a_plugin_adds_a_channel_through_the_hook(settings: Settings, db) -> None:
    from web.app import create_app

    registry = build_plugin_registry(settings.plugins_file)
    chat = ChatPlugin()
    registry.pm.register(chat, name="chat-test")
    app = create_app(settings, registry, manage_engine=False)
    org = await _org()
    await User.update({User.phone: "13800000000", User.locale: "zh_CN"}).where(
        User.id == org.users["employee"]
    )
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        client.follow_redirects = False
        made = await _submit(app, org)
        await _work(client, org, made.number, "start")
        await app.state.jobs.drain()
        (message,) = [m for m in chat.sent if m.items[0].kind == "status:in_progress"]
        assert message.recipient.user_id == org.users["employee"]
        assert message.recipient.locale == "zh_CN"
        assert message.items[0].text == "已开始处理"
        assert message.items[0].url == f"http://houqin.example.org/requests/{made.number}"
        # the agent has no phone: skipped with the channel's reason, e-mail still sent
        agent = await _deliveries(org, "agent")
        assert ("skipped", "no chat account") in {(r["status"], r["last_error"]) for r in agent}
        assert ("sent", "") in {(r["status"], r["last_error"]) for r in agent}
        await login(client, org.logins["employee"])
        page = await client.get("/me/notifications")
        assert 'name="chat.progress"' in page.text and 'name="email.progress"' in page.text


# -- logs: isolation and query counts ------------------------------------------------


async def _fill(org: OrgFixture, user: str, n: int, status: str = "sent") -> None:
    rows = await Notification.insert(
        *[Notification(org=org.id, user=org.users[user], kind="status:resolved") for _ in range(n)]
    ).returning(Notification.id)
    await NotificationDelivery.insert(
        *[
            NotificationDelivery(
                org=org.id,
                notification=row["id"],
                user=org.users[user],
                channel="email",
                status=status,
                last_error=f"secret-{org.slug}" if status == "failed" else "",
            )
            for row in rows
        ]
    )


async def test_logs_show_only_mine_and_my_orgs(client: AsyncTestClient, db) -> None:
    org, other = await _org(), await _org()
    await _fill(org, "employee", 2)
    await _fill(org, "agent", 1, "failed")
    await _fill(other, "employee", 1, "failed")
    await login(client, org.logins["employee"])
    mine = await client.get("/me/notifications/log", headers={"accept-language": "en"})
    assert mine.text.count("delivery__what") == 2 and f"secret-{org.slug}" not in mine.text
    assert (await client.get("/admin/notifications")).status_code == 403
    await login(client, org.logins["admin"])
    page = await client.get("/admin/notifications", params={"status": "failed"})
    assert f"secret-{org.slug}" in page.text and f"secret-{other.slug}" not in page.text
    everything = await client.get("/admin/notifications", params={"status": "bogus"})
    assert everything.status_code == 200 and everything.text.count('class="status ') == 3


async def test_logs_run_a_fixed_number_of_queries(client: AsyncTestClient, db, queries) -> None:
    org = await _org()
    counts = []
    for n in (2, 30):
        await _fill(org, "employee", n)
        await _fill(org, "employee", n, "failed")
        await login(client, org.logins["employee"])
        queries.reset()
        assert (await client.get("/me/notifications/log")).status_code == 200
        mine = queries.count
        await login(client, org.logins["admin"])
        queries.reset()
        assert (await client.get("/admin/notifications")).status_code == 200
        counts.append((mine, queries.count))
    assert counts[0] == counts[1], counts
