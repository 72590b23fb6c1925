"""Translations (Babel catalogs for zh-CN and en) and the per-request locale.

Catalogs are read from .po files at start-up (core's plus each installed plugin's
``locale/`` folder) and merged per language; no compile step is needed. The locale
of a request is chosen by :func:`choose_locale` and held in a context variable that
the gettext callables installed into Jinja read.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_skeleton, format_timedelta, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES: tuple[str, ...] = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
CORE_LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}

_catalogs: dict[str, Translations] = {}
_current: ContextVar[str] = ContextVar("houqin_locale", default=DEFAULT_LOCALE)
_tz: ContextVar[str] = ContextVar("houqin_tz", default="Asia/Shanghai")


def po_path(locale_dir: Path, locale: str) -> Path:
    return locale_dir / locale / "LC_MESSAGES" / "messages.po"


def _read(path: Path) -> Translations:
    with path.open("rb") as fh:
        catalog = read_po(fh)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def load_catalogs(locale_dirs: Iterable[Path]) -> None:
    """Load core's catalogs and merge each extra ``locale/`` folder into them."""
    dirs = [CORE_LOCALE_DIR, *locale_dirs]
    for locale in LOCALES:
        merged = Translations()
        for directory in dirs:
            path = po_path(directory, locale)
            if path.exists():
                merged.merge(_read(path))
        _catalogs[locale] = merged


def normalise(tag: str | None) -> str | None:
    """Map a language tag (``zh-CN``, ``zh``, ``en-GB``, ``zh_Hans``) onto a supported locale."""
    if not tag:
        return None
    tag = tag.strip().replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_CN"
    if tag.startswith("en"):
        return "en"
    return None


def parse_accept_language(header: str | None) -> list[str]:
    """Supported locales from an Accept-Language header, best first."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        lang, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        locale = normalise(lang)
        if locale and quality > 0:
            ranked.append((-quality, index, locale))
    seen: list[str] = []
    for _q, _i, locale in sorted(ranked):
        if locale not in seen:
            seen.append(locale)
    return seen


def choose_locale(
    user_pref: str | None, cookie: str | None, accept_language: str | None, org_default: str | None
) -> str:
    """User preference → language cookie → Accept-Language → organisation default."""
    for candidate in (normalise(user_pref), normalise(cookie)):
        if candidate:
            return candidate
    accepted = parse_accept_language(accept_language)
    if accepted:
        return accepted[0]
    return normalise(org_default) or DEFAULT_LOCALE


def set_locale(locale: str, time_zone: str | None = None) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)
    if time_zone:
        _tz.set(time_zone)


def get_locale() -> str:
    return _current.get()


def html_lang(locale: str | None = None) -> str:
    return (locale or get_locale()).replace("_", "-")


def _catalog() -> Translations:
    return _catalogs.get(_current.get()) or Translations()


def gettext(message: str) -> str:
    return _catalog().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalog().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return _catalog().pgettext(context, message)


def translate(message: str, locale: str) -> str:
    return (_catalogs.get(locale) or Translations()).gettext(message)


@lru_cache(maxsize=8)
def _babel_locale(code: str) -> Locale:
    """Parsed once per language: Babel re-reads locale data for every string code."""
    return Locale.parse(code)


def format_dt(value: datetime | None, with_year: bool = False) -> str:
    """Date and time in the active locale and time zone (zh: ``11月24日 14:30``)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    tz = get_timezone(_tz.get())
    day = format_skeleton(
        "yMMMd" if with_year else "MMMd", value, tzinfo=tz, locale=_babel_locale(get_locale())
    )
    return f"{day} {value.astimezone(tz):%H:%M}"


def format_relative(value: datetime | None, now: datetime | None = None) -> str:
    """Relative time in the active locale: "3 分钟前" / "3 minutes ago"."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - (now or datetime.now(UTC))
    return format_timedelta(
        delta, add_direction=True, locale=_babel_locale(get_locale()), threshold=1.0
    )
