"""schemathesis against the app's own OpenAPI schema, with a real token: whatever the
schema admits (and what it does not, once in a while), the API answers without a 5xx.

The cases come from schemathesis' hypothesis strategies, one operation at a time, and go
through Litestar's test client, so the app runs in process on the engine under test.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from litestar.testing import TestClient

from core.identity.service import issue_token
from tests.conftest import OrgFixture

EXAMPLES = 40  # per operation; the whole schema is ~15 operations


@pytest.fixture
async def token(org: OrgFixture) -> str:
    return await issue_token(org.id, org.users["admin"], "schemathesis")


def _for_httpx(kwargs: dict[str, Any]) -> dict[str, Any]:
    """schemathesis serialises for ``requests``; httpx wants raw bodies as ``content``
    and file parts as bytes (it cannot even encode an ``int`` file: no request at all)."""
    kwargs = dict(kwargs)
    kwargs.pop("cookies", None)
    if isinstance(kwargs.get("data"), bytes | str):
        kwargs["content"] = kwargs.pop("data")
    if files := kwargs.get("files"):
        items = files.items() if isinstance(files, dict) else files
        fixed = []
        for name, value in items:
            if isinstance(value, tuple):
                filename, body, *rest = value
                value = (filename, body if isinstance(body, bytes) else str(body).encode(), *rest)
            elif not isinstance(value, bytes):
                value = str(value).encode()
            fixed.append((name, value))
        kwargs["files"] = fixed
    return kwargs


def test_the_api_schema_finds_no_server_error(app, token: str, walked) -> None:
    schema = schemathesis.openapi.from_dict(app.openapi_schema.to_schema())
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    with TestClient(app=app, base_url="http://testserver.local") as client:

        def run(operation: Any) -> None:
            @settings(
                max_examples=EXAMPLES,
                database=None,
                derandomize=True,  # the same cases on every run: CI fails only for a reason
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy())
            def call(case: Any) -> None:
                kwargs = case.as_transport_kwargs(
                    base_url="http://testserver.local",
                    headers={"Authorization": f"Bearer {token}"},
                )
                response = client.request(**_for_httpx(kwargs))
                if response.status_code >= 500:
                    failures.append(
                        f"{operation.method.upper()} {operation.path}: {response.status_code} "
                        f"for {kwargs['url'][:120]}"
                    )

            call()

        for operation in operations:
            run(operation)
            walked["schemathesis (API)"].add(f"{operation.method.upper()} {operation.path}")
    assert not failures, "\n".join(sorted(set(failures))[:40])
