"""Small helpers for HTML forms: read values, collect translated field errors.

Every value a handler reads goes through here: text comes without control characters,
and ids, versions, counts and money through :mod:`core.parse` (bounded, ASCII digits),
so no route converts with ``int()`` or ``Decimal()`` of its own. The API reads its JSON
bodies through the same class.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Request
from litestar.datastructures import FormMultiDict

from core import parse
from core.i18n import gettext


class Form:
    """Submitted values plus errors keyed by field; templates show each under its field."""

    def __init__(self, data: FormMultiDict | dict[str, Any] | None = None) -> None:
        self.data = data if data is not None else FormMultiDict()
        self.errors: dict[str, str] = {}

    @classmethod
    async def read(cls, request: Request[Any, Any, Any]) -> Form:
        # A body that is not UTF-8 fails in Litestar's parser (here or in the CSRF
        # check before): web.errors answers it with a 400.
        return cls(await request.form())

    def get(self, name: str, default: str = "") -> str:
        value = self.data.get(name, default)
        return parse.clean_text(value.strip()) if isinstance(value, str) else default

    def getall(self, name: str) -> list[str]:
        if isinstance(self.data, FormMultiDict):
            values = self.data.getall(name, [])
        else:
            value = self.data.get(name)
            values = [value] if isinstance(value, str) else list(value or [])
        return [parse.clean_text(v.strip()) for v in values if isinstance(v, str)]

    def id(self, name: str) -> int | None:
        """The row id in field ``name`` (a choice from a list), or None."""
        return parse.record_id(self.get(name))

    def ids(self, name: str) -> list[int]:
        """Every valid row id sent under ``name`` (check boxes), in order, once each."""
        found = (parse.record_id(v) for v in self.getall(name))
        return list(dict.fromkeys(i for i in found if i is not None))

    def version(self, name: str = "version") -> int | None:
        """The version a form was shown at (the optimistic lock), or None if absent.
        Anything else that is not a version is 0, which no request has: the change is
        refused as made meanwhile (409) rather than made without the check."""
        text = self.get(name)
        if not text:
            return None
        return parse.integer(text, 1) or 0

    def integer(
        self, name: str, low: int, high: int, message: str, *, required: bool = True
    ) -> int | None:
        """A whole number in ``[low, high]``; otherwise ``message`` under the field
        (an empty optional field is None without a message)."""
        text = self.get(name)
        if not text and not required:
            return None
        value = parse.integer(text, low, high)
        if value is None:
            self.error(name, message)
        return value

    def decimal(
        self,
        name: str,
        low: Decimal,
        high: Decimal,
        message: str,
        *,
        places: int = 2,
        required: bool = True,
    ) -> Decimal | None:
        """An amount such as ``1,234.50`` in ``[low, high]``; otherwise ``message``."""
        text = self.get(name)
        if not text and not required:
            return None
        value = parse.decimal(text, low=low, high=high, places=places)
        if value is None:
            self.error(name, message)
        return value

    def required(self, name: str, message: str, max_length: int = 200, too_long: str = "") -> str:
        value = self.get(name)
        if not value:
            self.errors[name] = message
        elif len(value) > max_length:
            self.errors[name] = too_long or message
        return value

    def email(self, name: str = "email") -> str:
        """An optional e-mail address (empty is allowed)."""
        value = self.get(name)
        if value and ("@" not in value or len(value) > 254 or " " in value):
            self.error(name, gettext("Enter an e-mail address such as name@example.com."))
        return value

    def phone(self, name: str = "phone") -> str:
        """An optional phone number: digits, spaces, + - ( )."""
        value = self.get(name)
        if value and (len(value) > 32 or not all(c.isdigit() or c in "+- ()" for c in value)):
            self.error(name, gettext("Enter a phone number using digits, spaces, + and -."))
        return value

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    @property
    def ok(self) -> bool:
        return not self.errors

    def __getitem__(self, name: str) -> str:
        return self.get(name)
