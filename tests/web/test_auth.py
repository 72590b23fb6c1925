"""Sign-in, sessions, CSRF, throttling and language choice."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import PASSWORD, OrgFixture, cookie, csrf_of, login, post, set_cookie


async def test_anonymous_page_redirects_to_login(client: AsyncTestClient, org: OrgFixture) -> None:
    response = await client.get("/me")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fme"


async def test_login_sets_new_session_and_logout_destroys_it(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await client.get("/login")
    set_cookie(client, "houqin_session", "attacker-fixed-id")
    await login(client, org.logins["employee"])
    session_id = cookie(client, "houqin_session")
    assert session_id and session_id != "attacker-fixed-id"
    assert (await client.get("/me")).status_code == 200
    response = await post(client, "/logout")
    assert response.status_code == 303
    # the old session id no longer works even if replayed
    set_cookie(client, "houqin_session", session_id)
    assert (await client.get("/me")).status_code == 303


async def test_wrong_password_is_a_translated_form_error(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await client.get("/login", headers={"accept-language": "zh-CN"})
    response = await client.post(
        "/login",
        data={"login": org.logins["employee"], "password": "nope", "_csrf_token": csrf_of(client)},
        headers={"accept-language": "zh-CN"},
    )
    assert response.status_code == 422
    assert "账号或密码不正确" in response.text
    response = await client.post(
        "/login",
        data={"login": "", "password": "", "_csrf_token": csrf_of(client)},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    assert "Enter your account name." in response.text


async def test_post_without_csrf_token_is_refused(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["employee"])
    response = await client.post("/me", data={"display_name": "Hacked"})
    assert response.status_code == 403


async def test_login_throttled_per_account_with_retry_after(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await client.get("/login")
    for _ in range(5):
        response = await client.post(
            "/login",
            data={
                "login": org.logins["employee"],
                "password": "bad",
                "_csrf_token": csrf_of(client),
            },
        )
        assert response.status_code == 422
    response = await client.post(
        "/login",
        data={
            "login": org.logins["employee"],
            "password": PASSWORD,
            "_csrf_token": csrf_of(client),
        },
    )
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    # another account from the same address is not locked by this one's failures
    await login(client, org.logins["admin"])


@pytest.mark.parametrize(
    ("header", "expected"), [("zh-CN,zh;q=0.9", "登录"), ("en-US,en;q=0.8", "Sign in")]
)
async def test_login_page_speaks_accept_language(
    client: AsyncTestClient, header: str, expected: str
) -> None:
    response = await client.get("/login", headers={"accept-language": header})
    assert response.status_code == 200
    assert expected in response.text


async def test_language_switch_is_remembered_for_the_user(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["employee"])
    response = await post(client, "/lang", {"lang": "zh_CN", "next": "/me"})
    assert response.status_code == 303
    assert response.headers["location"] == "/me"
    page = await client.get("/me", headers={"accept-language": "en"})
    assert 'lang="zh-CN"' in page.text
    assert "退出登录" in page.text


async def test_security_headers_on_every_response(client: AsyncTestClient) -> None:
    for path in ("/login", "/healthz", "/no-such-page"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp and "unsafe-eval" not in csp and "unsafe-inline" not in csp
        )
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


async def test_unchanged_session_is_not_rewritten(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["employee"])
    await client.get("/me")  # any flash or first-visit change is written here
    again = await client.get("/me")
    assert again.status_code == 200
    assert "houqin_session" not in again.headers.get("set-cookie", "")
