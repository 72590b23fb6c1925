"""Translations (Babel catalogs for zh-CN and en) and the per-request locale.

Catalogs are read from .po files at start-up (core's plus each installed plugin's
``locale/`` folder) and merged per language; no compile step is needed. The locale
of a request is chosen by :func:`choose_locale` and held in a context variable that
the gettext callables installed into Jinja read.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

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
        # Start from core's own catalog: merge() copies messages but not the plural
        # rule, and an empty Translations() would apply English plurals (zh has one form).
        merged: Translations | None = None
        for directory in dirs:
            path = po_path(directory, locale)
            if path.exists():
                catalog = _read(path)
                merged = catalog if merged is None else (merged.merge(catalog) or merged)
        _catalogs[locale] = merged or Translations()


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
    """The locale of the current request or job (``zh_CN`` or ``en``)."""
    return _current.get()


@contextmanager
def use_locale(locale: str, time_zone: str | None = None) -> Iterator[None]:
    """Word things for someone else for a while (an e-mail in its recipient's language
    and time zone), then restore the current choice."""
    locale_token = _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)
    tz_token = _tz.set(time_zone) if time_zone else None
    try:
        yield
    finally:
        _current.reset(locale_token)
        if tz_token is not None:
            _tz.reset(tz_token)


def catalogs_loaded() -> bool:
    """True once :func:`load_catalogs` ran in this process (a worker must load them too)."""
    return bool(_catalogs)


def html_lang(locale: str | None = None) -> str:
    return (locale or get_locale()).replace("_", "-")


def _catalog() -> Translations:
    return _catalogs.get(_current.get()) or Translations()


def gettext(message: str) -> str:
    """``message`` translated into the current locale (the plugin's catalog first)."""
    return _catalog().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, translated into the current locale."""
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
    zone = _tz.get()
    local = value.astimezone(_zone(zone))
    day = _day_words(get_locale(), zone, local.date(), with_year)
    return f"{day} {local:%H:%M}"


@lru_cache(maxsize=64)
def _zone(name: str) -> Any:
    return get_timezone(name)


@lru_cache(maxsize=4096)
def _day_words(locale: str, zone: str, day: date, with_year: bool) -> str:
    """A date in words, once per (language, zone, day): desk tables show one per row."""
    noon = datetime.combine(day, time(12), tzinfo=_zone(zone))
    return format_skeleton(
        "yMMMd" if with_year else "MMMd", noon, tzinfo=_zone(zone), locale=_babel_locale(locale)
    )


def format_relative(value: datetime | None, now: datetime | None = None) -> str:
    """Relative time in the active locale: "3 分钟前" / "3 minutes ago".

    Babel's wording depends only on the unit, the rounded count and the direction it
    picks (the same steps are taken here), so each wording is formatted once per
    language and reused: lists show a relative time on every row.
    """
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - (now or datetime.now(UTC))
    seconds = int(delta.days * 86400 + delta.seconds)
    for unit, per_unit in _RELATIVE_UNITS:
        amount = abs(seconds) / per_unit
        if amount >= 1.0:
            key = (get_locale(), unit, max(1, round(amount)), seconds >= 0)
            text = _relative_words.get(key)
            if text is None:
                text = format_timedelta(
                    delta, add_direction=True, locale=_babel_locale(key[0]), threshold=1.0
                )
                if len(_relative_words) < 4096:
                    _relative_words[key] = text
            return text
    return format_timedelta(delta, add_direction=True, locale=_babel_locale(get_locale()))


# Babel's units (babel.dates.TIMEDELTA_UNITS) and the wordings seen so far.
_RELATIVE_UNITS = (
    ("year", 3600 * 24 * 365),
    ("month", 3600 * 24 * 30),
    ("week", 3600 * 24 * 7),
    ("day", 3600 * 24),
    ("hour", 3600),
    ("minute", 60),
    ("second", 1),
)
_relative_words: dict[tuple[str, str, int, bool], str] = {}
