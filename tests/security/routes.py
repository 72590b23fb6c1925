"""The app's route table, read from Litestar, as the security suite walks it.

Every route of core and of every installed plugin is here without anyone listing it:
a route a plugin adds later is walked too.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Litestar
from litestar.routes import HTTPRoute

from web.auth import login_required

SKIPPED_PREFIXES = ("/static/", "/schema")  # files, and Litestar's own OpenAPI pages
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_PARAM = re.compile(r"\{(\w+):(\w+)\}")
_NOT_QUERY = {"request", "data", "state", "scope", "socket", "headers", "cookies", "body"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    path_params: dict[str, str]  # name → "int" / "str" / "path"
    handler: Any

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def is_public(self) -> bool:
        return not any(g is login_required for g in self._guards())

    @property
    def is_unsafe(self) -> bool:
        return self.method in UNSAFE

    @property
    def is_stream(self) -> bool:
        hint = typing.get_type_hints(self.handler.fn).get("return")
        return "ServerSentEvent" in str(hint)

    @property
    def int_params(self) -> list[str]:
        return [n for n, t in self.path_params.items() if t == "int"]

    def _guards(self) -> list[Any]:
        return [g for layer in self.handler.ownership_layers for g in (layer.guards or [])]

    def url(self, values: dict[str, str]) -> str:
        def fill(match: re.Match[str]) -> str:
            return quote(values[match.group(1)], safe="")

        return _PARAM.sub(fill, self.path)

    def query_params(self) -> dict[str, str]:
        """The handler's query parameters: name → ``"int"`` or ``"str"``."""
        found = {}
        for name, param in self.handler.parsed_fn_signature.parameters.items():
            if name in self.path_params or name in _NOT_QUERY:
                continue
            if "Header" in str(param.kwarg_definition):
                continue
            found[name] = "int" if "int" in str(param.annotation) else "str"
        return found

    @property
    def takes_multipart(self) -> bool:
        param = self.handler.parsed_fn_signature.parameters.get("data")
        media = getattr(getattr(param, "kwarg_definition", None), "media_type", None)
        return "multipart" in str(getattr(media, "value", media))

    def body_struct(self) -> type[msgspec.Struct] | None:
        """The msgspec struct of a JSON body, if the handler takes one."""
        param = self.handler.parsed_fn_signature.parameters.get("data")
        if param is None:
            return None
        annotation = param.annotation
        for candidate in (annotation, *typing.get_args(annotation)):
            if isinstance(candidate, type) and issubclass(candidate, msgspec.Struct):
                return candidate
        return None


def routes_of(app: Litestar) -> list[Route]:
    found: list[Route] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(SKIPPED_PREFIXES):
            continue
        params = {name: kind for name, kind in _PARAM.findall(route.path)}
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                found.append(Route(method, route.path, params, handler))
    return sorted(found, key=lambda r: (r.path, r.method))


def with_values(routes: list[Route], values: Any) -> Iterator[tuple[Route, dict[str, str]]]:
    """Each route with its path parameters filled (``values(path, name)``); a route
    whose parameter has no value is an error of the world, not skipped."""
    for route in routes:
        filled = {name: values(route.path, name) for name in route.path_params}
        missing = [n for n, v in filled.items() if v is None]
        assert not missing, f"{route.label}: tests/security/world.py has no value for {missing}"
        yield route, filled
