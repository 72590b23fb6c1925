"""CSV files people open in a spreadsheet: written safely, read with clear errors.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken
by Excel, WPS and LibreOffice for a formula (``=HYPERLINK(…)`` phones home, ``@SUM(…)``
runs), so every text cell of an export that starts so gets a leading apostrophe, which
spreadsheets show as text (OWASP "CSV injection"). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so that Excel opens UTF-8 (Chinese names) right


class CsvError(ValueError):
    """The text is not CSV houqin can read (a field too long, a broken quote)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will read it as data, never as a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV document (BOM, header, rows), every cell through :func:`safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return BOM + buffer.getvalue()


def read_rows(text: str) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header and ``(line, row)`` pairs of a CSV text; :class:`CsvError` (with the
    line) instead of ``csv.Error`` when a row cannot be read."""
    reader = csv.DictReader(io.StringIO(text.removeprefix(BOM)))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise CsvError(1, str(exc)) from exc

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # The reader counts the lines it finished; the bad one is the next.
                raise CsvError(reader.line_num + 1, str(exc)) from exc
            yield (
                reader.line_num,
                {(k or "").strip(): (v or "") for k, v in row.items() if isinstance(v, str)},
            )

    return header, rows()


__all__ = ["BOM", "CsvError", "csv_text", "read_rows", "safe_cell"]
