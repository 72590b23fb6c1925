"""Parsing what people and programs send: ids, versions, counts, money and text.

One place, so no handler converts with ``int()`` or ``Decimal()`` on its own: ``"²"``
passes ``str.isdigit()`` and fails ``int()``; ``2**63`` passes ``int()`` and overflows
the database; ``Decimal("1e999999")`` parses and cannot be rounded. Each parser answers
``None`` for anything it does not accept, and the caller turns that into a message
under the field. Text loses its control characters (PostgreSQL refuses NUL in text).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Ids, versions and counts live in 32-bit integer columns on PostgreSQL.
MAX_INT = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")
# Plain decimal notation only: digits, one point, up to 2 (or ``places``) decimals.
_DECIMAL = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,6})?|\.[0-9]{1,6}")
_GROUPING = str.maketrans("", "", ", ，_\u00a0¥￥")
# C0 controls but tab, line feed and carriage return; DEL; C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def integer(text: str | None, low: int = 0, high: int = MAX_INT) -> int | None:
    """A whole number written with ASCII digits, ``low <= n <= high``; else None."""
    if text is None:
        return None
    text = text.strip()
    negative = text.startswith("-") and low < 0
    digits = text[1:] if negative else text
    if not _DIGITS.fullmatch(digits):
        return None
    value = -int(digits) if negative else int(digits)
    return value if low <= value <= high else None


def record_id(text: str | None) -> int | None:
    """The id of a row (1 … 2³¹−1) as a form, query or path sends it; else None."""
    return integer(text, 1, MAX_INT)


def decimal(text: str | None, *, low: Decimal, high: Decimal, places: int = 2) -> Decimal | None:
    """A decimal such as ``1,234.50`` or ``¥12`` within ``[low, high]``, rounded to
    ``places`` decimals; None for anything else (exponents, NaN, infinity, too long)."""
    if text is None:
        return None
    text = text.strip().translate(_GROUPING)
    if len(text) > 32 or not _DECIMAL.fullmatch(text):
        return None
    try:
        value = Decimal(text).quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        return None
    return value if low <= value <= high else None


def clean_text(text: str) -> str:
    """``text`` without control characters (tab and line breaks stay)."""
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


__all__ = ["MAX_INT", "clean_text", "decimal", "has_control", "integer", "record_id"]
