"""Printouts: small output providers that render one PDF each, under the organisation's
name and brand colour (stickers now; badges, prep lists and reports later).

A printout is a class with one method, :meth:`Printout.render`, given the organisation's
:class:`Branding`; the web answers it with ``web.printing.pdf_response`` (rendered in a
worker thread: WeasyPrint is slow and synchronous). Every printout is built from
escaped text and ``data:`` URIs only, and the URL fetcher refuses everything else, so a
name typed by someone can never make the server fetch a URL or read a file.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from html import escape
from typing import Any

from core.tables import Organisation

FONT = '"Noto Sans CJK SC", sans-serif'
MONO = '"Noto Sans Mono CJK SC", monospace'
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_COLOUR = "#1d64d8"


@dataclass(frozen=True)
class Branding:
    """What every printout carries: the organisation's name and brand colour."""

    name: str
    colour: str = DEFAULT_COLOUR

    @property
    def safe_colour(self) -> str:
        """The colour as CSS accepts it from us: ``#rrggbb`` or the default."""
        return self.colour if _COLOUR.fullmatch(self.colour or "") else DEFAULT_COLOUR


async def branding_of(org_id: int) -> Branding:
    """The organisation's branding (one query)."""
    row = await (
        Organisation.select(Organisation.name, Organisation.brand_colour)
        .where(Organisation.id == org_id)
        .first()
    )
    if row is None:
        raise LookupError(f"no organisation {org_id}")
    return Branding(row["name"], row["brand_colour"] or DEFAULT_COLOUR)


def qr_svg(url: str, scale: int = 4) -> bytes:
    """The QR code of ``url`` as a standalone SVG (no XML declaration, dark on white)."""
    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True, nl=False
    )
    return buffer.getvalue()


def qr_data_uri(url: str, scale: int = 8) -> str:
    """The QR code of ``url`` as a ``data:`` URI for a printout's ``<img>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url, scale)).decode()


def local_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher for the data: URIs we embed and nothing else (no network,
    no files)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def html_to_pdf(html: str) -> bytes:
    """The PDF of a printout's HTML (WeasyPrint, imported here only: it is large)."""
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=local_only_fetcher()).write_pdf()


class Printout:
    """An output provider: :meth:`render` makes the PDF for an organisation's branding.
    ``filename`` is what the download is called."""

    filename = "printout.pdf"

    def render(self, branding: Branding) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Sticker:
    """One sticker: the QR code of ``url`` with a name, a code and a one-line hint."""

    name: str
    code: str
    url: str
    hint: str = ""


STICKER_CSS = """
@page { size: A4; margin: 10mm; }
body { font-family: %(font)s; margin: 0; }
.sticker { float: left; width: 60mm; height: 34mm; box-sizing: border-box; padding: 2mm;
  border: 0.2mm dashed #bbb; border-top: 1.6mm solid %(colour)s; display: flex;
  align-items: center; gap: 2mm; break-inside: avoid; }
.sticker img { width: 26mm; height: 26mm; }
.sticker .org { font-size: 6.5pt; color: %(colour)s; font-weight: bold; }
.sticker .name { font-size: 10pt; font-weight: bold; line-height: 1.2; margin-top: 0.5mm; }
.sticker .code { font-size: 9pt; font-family: %(mono)s; margin-top: 1mm; }
.sticker .hint { font-size: 7pt; color: #555; margin-top: 1mm; }
"""


@dataclass(frozen=True)
class StickerSheet(Printout):
    """An A4 sheet of QR stickers (60 × 34 mm, 3 across), each under the organisation's
    name and colour: assets' stickers, rooms' door stickers."""

    stickers: tuple[Sticker, ...]
    filename: str = "stickers.pdf"

    def render(self, branding: Branding) -> bytes:
        cells = [
            f'<div class="sticker"><img src="{qr_data_uri(s.url)}" alt=""><div>'
            f'<div class="org">{escape(branding.name)}</div>'
            f'<div class="name">{escape(s.name)}</div>'
            f'<div class="code">{escape(s.code)}</div>'
            f'<div class="hint">{escape(s.hint)}</div></div></div>'
            for s in self.stickers
        ]
        css = STICKER_CSS % {"font": FONT, "mono": MONO, "colour": branding.safe_colour}
        return html_to_pdf(
            f'<!doctype html><html><head><meta charset="utf-8"><style>{css}</style>'
            f"</head><body>{''.join(cells)}</body></html>"
        )
