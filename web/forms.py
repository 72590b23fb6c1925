"""Small helpers for HTML forms: read values, collect translated field errors."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import FormMultiDict

from core.i18n import gettext


class Form:
    """Submitted values plus errors keyed by field; templates show each under its field."""

    def __init__(self, data: FormMultiDict | dict[str, Any] | None = None) -> None:
        self.data = data if data is not None else FormMultiDict()
        self.errors: dict[str, str] = {}

    @classmethod
    async def read(cls, request: Request[Any, Any, Any]) -> Form:
        return cls(await request.form())

    def get(self, name: str, default: str = "") -> str:
        value = self.data.get(name, default)
        return value.strip() if isinstance(value, str) else default

    def getall(self, name: str) -> list[str]:
        if isinstance(self.data, FormMultiDict):
            return [v.strip() for v in self.data.getall(name, []) if isinstance(v, str)]
        value = self.data.get(name)
        return [value] if isinstance(value, str) else list(value or [])

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
