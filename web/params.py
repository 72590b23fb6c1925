"""Bounded numbers in paths and query strings, in one place (see :mod:`core.parse`).

Litestar parses ``{x:int}`` path parameters and ``int`` query parameters into Python
integers of any size; the database then overflows on ``2**63``. Query parameters use
the annotated types below, so an out-of-range value is a 400 before the handler runs;
every ``int`` path parameter passes :func:`bounded_path_ids` (an app-wide guard), so an
id no row can have is a 404, like any id that is not there.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.params import Parameter

from core.i18n import gettext
from core.parse import MAX_INT
from web.errors import Refused

# A keyset cursor (the last id of the page before), an offset, an optional id filter.
Cursor = Annotated[int | None, Parameter(ge=0, le=MAX_INT)]
Offset = Annotated[int, Parameter(ge=0, le=MAX_INT)]
OptionalId = Annotated[int | None, Parameter(ge=1, le=MAX_INT)]
# An id or a version in a JSON body (msgspec checks the bounds while decoding: 400).
BodyId = Annotated[int, msgspec.Meta(ge=1, le=MAX_INT)]


async def bounded_path_ids(connection: ASGIConnection[Any, Any, Any, Any], _: Any) -> None:
    """Guard of every route: an integer path parameter outside 0 … 2³¹−1 names nothing
    (404), and a NUL character in the path or the query string is refused (400): no
    text column can hold one (PostgreSQL refuses it outright)."""
    for value in connection.path_params.values():
        if isinstance(value, int) and not 0 <= value <= MAX_INT:
            raise NotFoundException()
        if isinstance(value, str) and "\x00" in value:
            raise Refused(gettext("The address contains a character it may not."))
    query = connection.scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query or "\x00" in connection.scope["path"]:
        raise Refused(gettext("The address contains a character it may not."))


__all__ = ["BodyId", "Cursor", "Offset", "OptionalId", "bounded_path_ids"]
