"""A user of organisation A gets 404 for every object of organisation B."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from core.identity.service import create_department, issue_token
from core.tables import ApiToken, Department, User
from plugins.notices.tables import Notice
from tests.conftest import OrgFixture, login, post


async def test_objects_of_another_org_are_not_found(
    client: AsyncTestClient, org: OrgFixture, other_org: OrgFixture
) -> None:
    foreign_user = other_org.users["employee"]
    foreign_dept = await create_department(other_org.id, "Foreign dept")
    notice = Notice(org=other_org.id, title="secret", body="b")
    await notice.save()
    await issue_token(other_org.id, foreign_user, "theirs")
    token_id = (await ApiToken.select(ApiToken.id).where(ApiToken.user == foreign_user).first())[
        "id"
    ]

    await login(client, org.logins["admin"])
    gets = [f"/admin/users/{foreign_user}", f"/s/notices/{notice.id}"]
    for path in gets:
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "secret" not in response.text
    posts = [
        (f"/admin/users/{foreign_user}", {"display_name": "pwned", "roles": ["employee"]}),
        (f"/admin/departments/{foreign_dept}", {"name": "pwned"}),
        (f"/s/notices/{notice.id}/delete", {}),
        (f"/me/tokens/{token_id}/revoke", {}),
    ]
    await login(client, org.logins["admin"])
    for path, data in posts:
        response = await post(client, path, data)
        assert response.status_code == 404, path
    # nothing of B changed
    assert (await User.objects().where(User.id == foreign_user).first()).display_name != "pwned"
    assert (
        await Department.objects().where(Department.id == foreign_dept).first()
    ).name == "Foreign dept"
    assert await Notice.exists().where(Notice.id == notice.id)
    assert await ApiToken.exists().where((ApiToken.id == token_id) & ApiToken.revoked_at.is_null())


async def test_lists_never_show_another_orgs_rows(
    client: AsyncTestClient, org: OrgFixture, other_org: OrgFixture
) -> None:
    await Notice(org=other_org.id, title="their-notice", body="b").save()
    await login(client, org.logins["admin"])
    assert other_org.logins["employee"] not in (await client.get("/admin/users")).text
    assert (
        other_org.logins["employee"]
        not in (await client.get("/admin/users", params={"q": "employee"})).text
    )
    assert "their-notice" not in (await client.get("/s/notices/")).text
    api = await client.get("/api/v1/s/notices/")
    assert api.status_code == 200
    assert all(n["title"] != "their-notice" for n in api.json())


async def test_department_head_must_belong_to_the_org(
    client: AsyncTestClient, org: OrgFixture, other_org: OrgFixture
) -> None:
    await login(client, org.logins["admin"])
    response = await post(
        client, "/admin/departments", {"name": "X", "head_login": other_org.logins["employee"]}
    )
    assert response.status_code == 422


async def test_suggestions_of_another_org_are_not_found(
    client: AsyncTestClient, org: OrgFixture, other_org: OrgFixture
) -> None:
    from core.tables import Suggestion, SuggestionReply

    theirs = Suggestion(
        org=other_org.id,
        author=other_org.users["employee"],
        topic="canteen",
        body="their-suggestion",
        submit_token=f"iso-{other_org.id}",
    )
    await theirs.save()
    await login(client, org.logins["admin"])
    for path in (f"/desk/suggestions/{theirs.id}", f"/suggestions/{theirs.id}"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "their-suggestion" not in response.text
    answer = await post(
        client, f"/desk/suggestions/{theirs.id}", {"body": "pwned", "status": "done"}
    )
    assert answer.status_code == 404
    assert "their-suggestion" not in (await client.get("/desk/suggestions")).text
    assert not await SuggestionReply.exists().where(SuggestionReply.suggestion == theirs.id)
    assert (await Suggestion.objects().where(Suggestion.id == theirs.id).first()).status == "new"


async def test_files_of_requests_one_cannot_see_are_not_found(
    client: AsyncTestClient, org: OrgFixture, other_org: OrgFixture, app
) -> None:
    """Every attachment route answers 404 outside the request's visibility, and a file
    id never opens through another request (of this organisation or another)."""
    from core.attachments import Limits, Upload, prepare
    from core.default_plugin import GENERAL
    from core.identity.service import load_actor
    from core.lifecycle.submit import NewRequest, submit
    from core.tables import Attachment
    from tests.web.test_attachments import photo

    async def with_photo(who: OrgFixture, role: str, title: str) -> tuple[str, int]:
        actor = await load_actor(who.users[role], app.state.plugins, app.state.permissions)
        files = prepare([Upload("secret.png", photo(fmt="PNG"))], Limits())
        made = await submit(
            actor,
            GENERAL,
            NewRequest(kind="other", title=title),
            channel="pwa",
            attachments=files,
            storage=app.state.storage,
        )
        row = await Attachment.select(Attachment.id).where(Attachment.request == made.id).first()
        return made.number, row["id"]

    number, file_id = await with_photo(org, "employee", "mine")
    admins_number, admins_file = await with_photo(org, "admin", "the admin's own")
    theirs_number, _theirs_file = await with_photo(other_org, "employee", "theirs")
    assert theirs_number == number  # numbers are per organisation: the same one elsewhere
    upload = [("files", ("x.png", photo(fmt="PNG"), "image/png"))]

    async def all_not_found(token: str, number: str, file_id: int) -> None:
        auth = {"Authorization": f"Bearer {token}"}
        base, api = f"/requests/{number}/files", f"/api/v1/requests/{number}/files"
        for path in (f"{base}/{file_id}", f"{base}/{file_id}/thumb"):
            assert (await client.get(path)).status_code == 404, path
        assert (await post(client, base, files=upload)).status_code == 404
        for path in (api, f"{api}/{file_id}", f"{api}/{file_id}/thumb"):
            assert (await client.get(path, headers=auth)).status_code == 404, path
        assert (await client.post(api, files=upload, headers=auth)).status_code == 404

    # another organisation's admin
    await login(client, other_org.logins["admin"])
    token = await issue_token(other_org.id, other_org.users["admin"], "t")
    await all_not_found(token, admins_number, admins_file)
    # ...whose own request carries the same number: our file id still does not open there
    for path in (
        f"/requests/{number}/files/{file_id}",
        f"/requests/{number}/files/{file_id}/thumb",
    ):
        assert (await client.get(path)).status_code == 404, path
    # a colleague who is neither requester, approver, agent nor admin of the request
    await login(client, org.logins["notices_admin"])
    await all_not_found(await issue_token(org.id, org.users["notices_admin"], "t"), number, file_id)
    assert await Attachment.count().where(Attachment.org == org.id) == 2
    # the requester cannot reach the admin's file through their own request's URL
    await login(client, org.logins["employee"])
    assert (await client.get(f"/requests/{number}/files/{file_id}")).status_code == 200
    assert (await client.get(f"/requests/{number}/files/{admins_file}")).status_code == 404
    assert (await client.get(f"/requests/{admins_number}/files/{admins_file}")).status_code == 404


async def test_request_edit_and_approval_steps_of_another_org_are_not_found(
    client: AsyncTestClient, org: OrgFixture, other_org: OrgFixture, app
) -> None:
    from core.default_plugin import GENERAL
    from core.identity.service import load_actor
    from core.lifecycle.submit import NewRequest, submit
    from core.tables import ApprovalRule, ApprovalTask, ServiceRequest

    steps = [{"kind": "role", "role": "org_admin", "user_ids": [], "levels_up": 0}]
    await ApprovalRule.insert(ApprovalRule(org=org.id, name="all", mode="chain", steps=steps))
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    made = await submit(actor, GENERAL, NewRequest(kind="other", title="ours"), channel="pwa")
    step = (
        await ApprovalTask.select(ApprovalTask.step).where(ApprovalTask.request == made.id).first()
    )["step"]

    await login(client, other_org.logins["admin"])
    for path in (f"/requests/{made.number}/edit", f"/admin/approval-steps/{step}"):
        assert (await client.get(path)).status_code == 404, path
    posts = [
        (f"/requests/{made.number}/edit", {"title": "pwned", "priority": "normal"}),
        (f"/admin/approval-steps/{step}", {"user": str(other_org.users["admin"]), "reason": "x"}),
    ]
    for path, data in posts:
        assert (await post(client, path, data)).status_code == 404, path
    assert made.number not in (await client.get("/admin/approval-steps")).text
    row = await ServiceRequest.select(ServiceRequest.title).where(ServiceRequest.id == made.id)
    assert row[0]["title"] == "ours"
    assert not await ApprovalTask.exists().where(
        (ApprovalTask.request == made.id) & (ApprovalTask.user == other_org.users["admin"])
    )


async def test_delivery_logs_and_settings_stay_in_their_org(
    client: AsyncTestClient, org: OrgFixture, other_org: OrgFixture
) -> None:
    from core.tables import Notification, NotificationDelivery, NotificationPreference

    async def delivered(fixture: OrgFixture, user: str, error: str) -> None:
        row = await Notification.insert(
            Notification(org=fixture.id, user=fixture.users[user], kind="status:resolved")
        ).returning(Notification.id)
        await NotificationDelivery.insert(
            NotificationDelivery(
                org=fixture.id,
                notification=row[0]["id"],
                user=fixture.users[user],
                channel="email",
                status="failed",
                last_error=error,
            )
        )

    await delivered(org, "employee", "ours-employee")
    await delivered(org, "auditor", "ours-auditor")
    await delivered(other_org, "employee", "theirs")
    await login(client, org.logins["employee"])
    mine = await client.get("/me/notifications/log")
    assert mine.status_code == 200 and mine.text.count('class="status ') == 1
    await login(client, org.logins["admin"])
    page = (await client.get("/admin/notifications")).text
    assert "ours-employee" in page and "ours-auditor" in page and "theirs" not in page
    assert "theirs" not in (await client.get("/admin/notifications?status=failed")).text
    # saving settings writes the actor's own row, never another's
    foreign = str(other_org.users["employee"])
    assert (await post(client, "/me/notifications", {"user": foreign})).status_code == 303
    rows = await NotificationPreference.select(NotificationPreference.user).where(
        NotificationPreference.org.is_in([org.id, other_org.id])
    )
    assert [r["user"] for r in rows] == [org.users["admin"]]
