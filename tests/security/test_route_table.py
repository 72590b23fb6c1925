"""Generated from the route table: every route of core and of every installed plugin.

- every route with a path parameter, for someone who should see nothing there: nothing of
  another user's or organisation's data, another organisation's admin gets 404, and
  nothing of the victim organisation changes;
- integers of 2⁶³, −1, ``"²"`` and 10 kB strings in paths and query strings, every form
  field missing, invalid, oversized or with control characters, invalid UTF-8 bodies:
  a 4xx, never a 5xx;
- a personal API token and no session on a page: not signed in;
- an unsafe method without a CSRF token: 403.

A failure names the route; the run prints how many routes each check walked.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import msgspec
import pytest
from litestar.datastructures import FormMultiDict

from core.identity.service import issue_token
from tests.security.routes import Route, routes_of, with_values
from tests.security.world import ORG_TEXT, PRIVATE, World, build_world, client_for, snapshot
from web.forms import Form

TIMEOUT = 15  # seconds; a live stream that should have been refused would hang here
HUGE = str(2**63)
BAD_INTS = (HUGE, str(2**31), "-1", "²", "x" * 10_000)
BAD_TEXT = (HUGE, "²", "x" * 140_000, "a\x00b\x07c", "-1", "1e999999")
# Parameters that name no object of the victim's (a service slug, an action, a file).
NOT_OBJECTS = {"slug", "what", "decision", "name", "path", "token"}
# Routes that end the walker's session or switch a plugin off: walked last.
LAST = ("/logout", "/admin/plugins/")


@pytest.fixture
async def world(running_app, db) -> World:
    return await build_world(running_app)


async def send(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        return await asyncio.wait_for(client.request(method, url, **kwargs), TIMEOUT)
    except TimeoutError:
        raise AssertionError(f"{method} {url[:120]}: no answer within {TIMEOUT} s") from None


def csrf(client: httpx.AsyncClient) -> str:
    return client.cookies.get("houqin_csrf") or ""


def _ordered(routes: list[Route]) -> list[Route]:
    return sorted(routes, key=lambda r: any(r.path.startswith(p) for p in LAST))


# ---------------------------------------------------------------- who sees what


async def test_id_routes_show_nothing_of_other_users_or_organisations(
    app, world: World, walked
) -> None:
    # A public live stream is open to whoever holds its token: it would never end here.
    routes = [r for r in routes_of(app) if r.path_params and not (r.is_stream and r.is_public)]
    a, b = world.a, world.b
    actors = {
        "anonymous": None,
        "an employee who is not the owner": a.logins["peer"],
        "an agent": a.logins["agent"],
        "another organisation's admin": b.logins["admin"],
    }
    tokens = {
        who: await issue_token(org.id, org.users[name], "walk")
        for who, org, name in (
            ("an employee who is not the owner", a, "peer"),
            ("an agent", a, "agent"),
            ("another organisation's admin", b, "admin"),
        )
    }
    before = await snapshot(world)
    failures: list[str] = []
    for who, login in actors.items():
        client = await client_for(app, login)
        outsider = who in ("anonymous", "another organisation's admin")
        # The API is called as integrations do, with the person's token.
        bearer = {"Authorization": f"Bearer {tokens[who]}"} if who in tokens else {}
        for route, values in with_values(routes, world.value_for):
            body: dict[str, Any] = {}
            if route.is_api and route.is_unsafe:
                body = {"files": {"files": b"x"}} if route.takes_multipart else {"json": {}}
            elif route.is_unsafe:
                body = {"data": {"_csrf_token": csrf(client)}}
            headers = bearer if route.is_api else {}
            response = await send(client, route.method, route.url(values), headers=headers, **body)
            body = response.text
            problems = []
            if response.status_code >= 500:
                problems.append(f"answers {response.status_code}")
            if PRIVATE in body:
                problems.append("shows the owner's private data")
            if outsider and ORG_TEXT in body and not route.path.startswith("/p/"):
                problems.append("shows organisation A's data")
            objects = set(route.path_params) - NOT_OBJECTS
            if who == "another organisation's admin" and objects and response.status_code != 404:
                problems.append(f"answers {response.status_code}, not 404")
            if problems:
                failures.append(f"{route.label} as {who}: {'; '.join(problems)}")
            walked["who sees what (4 actors)"].add(route.label)
        await client.aclose()
    assert not failures, "\n".join(failures)
    assert await snapshot(world) == before, "someone changed organisation A's data"


# ---------------------------------------------------------------- bad input


async def _signed_in(client: httpx.AsyncClient, app, login: str) -> httpx.AsyncClient:
    """The walker's client, signed in again if a route ended its session."""
    if (await send(client, "GET", "/me")).status_code == 200:
        return client
    await client.aclose()
    return await client_for(app, login)


def _check(response: httpx.Response, route: Route, what: str, failures: list[str]) -> None:
    if response.status_code >= 500:
        failures.append(f"{route.label} with {what}: {response.status_code}")


async def test_bad_numbers_and_strings_in_paths_and_queries_are_4xx(
    app, world: World, walked
) -> None:
    failures: list[str] = []
    login = world.a.logins["power"]
    client = await client_for(app, login)
    for route, values in with_values(_ordered(routes_of(app)), world.value_for):
        if route.is_stream:
            continue
        data = {"_csrf_token": csrf(client)} if route.is_unsafe else None
        for name, kind in route.path_params.items():
            for bad in BAD_INTS if kind == "int" else ("x" * 10_000, "a\x00b"):
                url = route.url({**values, name: bad})
                response = await send(client, route.method, url, data=data)
                _check(response, route, f"{name}={bad[:12]!r}", failures)
        for name, kind in route.query_params().items():
            for bad in BAD_INTS if kind == "int" else ("x" * 10_000, "a\x00b\x07"):
                response = await send(
                    client, route.method, route.url(values), params={name: bad}, data=data
                )
                _check(response, route, f"?{name}={bad[:12]!r}", failures)
        walked["bad numbers in paths and queries"].add(route.label)
        client = await _signed_in(client, app, login)
    await client.aclose()
    assert not failures, "\n".join(failures)


class _Recorder:
    """Notes the form fields a handler reads (through :class:`Form` or the raw data)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        names = self.names
        original_get, original_getall = FormMultiDict.get, FormMultiDict.getall

        def get(self, key, default=None):  # type: ignore[no-untyped-def]
            names.add(key)
            return original_get(self, key, default)

        def getall(self, key, default=None):  # type: ignore[no-untyped-def]
            names.add(key)
            return original_getall(self, key, default)

        original_form_get, original_form_getall = Form.get, Form.getall

        def form_get(self, name, default=""):  # type: ignore[no-untyped-def]
            names.add(name)
            return original_form_get(self, name, default)

        def form_getall(self, name):  # type: ignore[no-untyped-def]
            names.add(name)
            return original_form_getall(self, name)

        monkeypatch.setattr(FormMultiDict, "get", get)
        monkeypatch.setattr(FormMultiDict, "getall", getall)
        monkeypatch.setattr(Form, "get", form_get)
        monkeypatch.setattr(Form, "getall", form_getall)


def _invalid_utf8_multipart(token: str, names: set[str]) -> tuple[bytes, dict[str, str]]:
    boundary = "houqinfuzz"
    disposition = 'Content-Disposition: form-data; name="_csrf_token"'
    parts = [f"--{boundary}\r\n{disposition}\r\n\r\n{token}\r\n".encode()]
    for name in sorted(names) or ["title"]:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        parts.append(head + b"\xff\xfe\xc3(\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), {"content-type": f"multipart/form-data; boundary={boundary}"}


async def test_every_form_field_bad_missing_or_oversized_is_4xx(
    app, world: World, walked, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = _Recorder()
    recorder.install(monkeypatch)
    failures: list[str] = []
    forms = [r for r in _ordered(routes_of(app)) if r.is_unsafe and not r.is_api]
    for login in (world.a.logins["owner"], world.a.logins["power"]):
        client = await client_for(app, login)
        for route, values in with_values(forms, world.value_for):
            url = route.url(values)
            # Find the fields the handler reads: empty, then with every field it asked for.
            names: set[str] = set()
            for _round in range(3):
                recorder.names.clear()
                data = {n: "1" for n in names} | {"_csrf_token": csrf(client)}
                _check(await send(client, "POST", url, data=data), route, "plain values", failures)
                if recorder.names <= names:
                    break
                names |= recorder.names - {"_csrf_token"}
            for name in sorted(names):
                others = {n: "1" for n in names if n != name} | {"_csrf_token": csrf(client)}
                response = await send(client, "POST", url, data=others)
                _check(response, route, f"{name} missing", failures)
                for bad in BAD_TEXT:
                    response = await send(client, "POST", url, data=others | {name: bad})
                    _check(response, route, f"{name}={bad[:12]!r}", failures)
            body, headers = _invalid_utf8_multipart(csrf(client), names)
            response = await send(client, "POST", url, content=body, headers=headers)
            _check(response, route, "invalid UTF-8 multipart", failures)
            encoded = "&".join(f"{n}=%FF%FE" for n in sorted(names) or ["title"])
            response = await send(
                client,
                "POST",
                url,
                content=f"{encoded}&_csrf_token={csrf(client)}".encode(),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            _check(response, route, "invalid UTF-8 urlencoded", failures)
            walked["bad, missing and oversized form fields"].add(route.label)
            client = await _signed_in(client, app, login)
        await client.aclose()
    assert not failures, "\n".join(failures)


def _bad_json_values(struct: type[msgspec.Struct]) -> list[tuple[str, dict[str, Any]]]:
    """Each field bad in turn, the others plausible (so the handler reads deep enough to
    use the bad one: a room id is looked up only once kind and title are fine)."""
    fields = msgspec.structs.fields(struct)
    plain = {f.name: 1 if "int" in str(f.type) else "other" for f in fields}
    cases: list[tuple[str, dict[str, Any]]] = []
    for field in fields:
        kind = str(field.type)
        if "int" in kind:
            values: tuple[Any, ...] = (2**63, 2**31, -1, "²")
        elif "Decimal" in kind or "float" in kind:
            values = ("1e999999", "NaN", 2**63)
        else:
            values = ("a\x00b", "x" * 140_000, 2**63)
        cases += [(f"{field.name}={str(v)[:12]!r}", plain | {field.name: v}) for v in values]
    return cases


async def test_api_bodies_bad_or_not_utf8_are_4xx(app, world: World, walked) -> None:
    token = await issue_token(world.a.id, world.a.users["power"], "fuzz")
    transport = httpx.ASGITransport(app=app, client=("198.51.100.250", 1))
    failures: list[str] = []
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver.local",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        writes = [r for r in routes_of(app) if r.is_api and r.is_unsafe]
        for route, values in with_values(writes, world.value_for):
            url = route.url(values)
            struct = None if route.takes_multipart else route.body_struct()
            for what, body in _bad_json_values(struct) if struct else []:
                response = await send(client, route.method, url, json=body)
                _check(response, route, what, failures)
            for what, content, kind in (
                ("invalid UTF-8 JSON", b'{"title": "\xff\xfe"}', "application/json"),
                ("JSON that is not an object", b"[1, 2]", "application/json"),
                ("invalid UTF-8 multipart", *_invalid_utf8_multipart("", {"files"})),
            ):
                headers = kind if isinstance(kind, dict) else {"content-type": kind}
                response = await send(client, route.method, url, content=content, headers=headers)
                _check(response, route, what, failures)
            walked["bad API bodies"].add(route.label)
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- sessions, tokens, CSRF


async def test_a_bearer_token_without_a_session_opens_no_page(app, world: World, walked) -> None:
    token = await issue_token(world.a.id, world.a.users["power"], "pages")
    transport = httpx.ASGITransport(app=app, client=("198.51.100.251", 1))
    failures = []
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        pages = [r for r in routes_of(app) if not r.is_api and not r.is_public]
        for route, values in with_values(pages, world.value_for):
            response = await send(
                c,
                route.method,
                route.url(values),
                headers={"Authorization": f"Bearer {token}"},
            )
            signed_out = response.status_code == 303 and response.headers["location"].startswith(
                "/login"
            )
            # Unsafe methods stop earlier, at the CSRF check: also not signed in.
            if not signed_out and not (route.is_unsafe and response.status_code == 403):
                failures.append(f"{route.label}: {response.status_code}")
            walked["bearer token on pages"].add(route.label)
    assert not failures, "\n".join(failures)


async def test_unsafe_methods_without_a_csrf_token_are_refused(app, world: World, walked) -> None:
    client = await client_for(app, world.a.logins["power"])
    failures = []
    unsafe = [r for r in routes_of(app) if r.is_unsafe and not r.is_api]
    for route, values in with_values(unsafe, world.value_for):
        response = await send(client, route.method, route.url(values), data={"title": "x"})
        if response.status_code != 403:
            failures.append(f"{route.label}: {response.status_code}")
        walked["CSRF on unsafe methods"].add(route.label)
    await client.aclose()
    assert not failures, "\n".join(failures)
    assert len(unsafe) > 50  # the walk reached the app's forms, not an empty table
