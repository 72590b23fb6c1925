"""Language negotiation, safe redirects and configuration rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from babel import Locale
from babel.dates import format_timedelta
from hypothesis import given
from hypothesis import strategies as st

from core import i18n
from core.config import ConfigError, load_settings
from web.routes.public import safe_next


@pytest.mark.parametrize(
    ("user", "cookie", "header", "org", "expected"),
    [
        ("en", "zh_CN", "zh-CN", "zh_CN", "en"),
        (None, "en", "zh-CN", "zh_CN", "en"),
        (None, None, "fr-FR,en;q=0.5,zh;q=0.9", "en", "zh_CN"),
        (None, None, "fr-FR", "en", "en"),
        (None, None, None, None, "zh_CN"),
        (None, "klingon", "", "en", "en"),
    ],
)
def test_choose_locale_order(user, cookie, header, org, expected) -> None:
    assert i18n.choose_locale(user, cookie, header, org) == expected


@given(st.text(max_size=80), st.one_of(st.none(), st.text(max_size=10)))
def test_choose_locale_always_supported(header: str, cookie: str | None) -> None:
    assert i18n.choose_locale(None, cookie, header, None) in i18n.LOCALES


@given(st.text(max_size=60))
def test_safe_next_never_leaves_the_site(value: str) -> None:
    target = safe_next(value)
    assert target.startswith("/") and not target.startswith("//") and "\\" not in target
    assert "://" not in target.split("?")[0]


@pytest.mark.parametrize(
    "evil", ["//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_safe_next_examples(evil: str) -> None:
    assert safe_next(evil) == "/"


def test_dates_in_both_languages() -> None:
    moment = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)
    i18n.set_locale("zh_CN", "Asia/Shanghai")
    assert i18n.format_dt(moment) == "11月24日 14:30"
    i18n.set_locale("en", "Asia/Shanghai")
    assert i18n.format_dt(moment) == "Nov 24 14:30"


def test_production_needs_a_secret() -> None:
    with pytest.raises(ConfigError, match="HOUQIN_SECRET_KEY is not set"):
        load_settings({"HOUQIN_PRODUCTION": "1"})
    with pytest.raises(ConfigError, match="at least 32"):
        load_settings({"HOUQIN_PRODUCTION": "1", "HOUQIN_SECRET_KEY": "short"})
    ok = load_settings(
        {
            "HOUQIN_PRODUCTION": "1",
            "HOUQIN_SECRET_KEY": "x" * 40,
            "HOUQIN_BASE_URL": "https://hq.example/",
        }
    )
    assert (
        ok.https and ok.session_cookie.startswith("__Host-") and ok.base_url == "https://hq.example"
    )


def test_defaults_are_embedded() -> None:
    settings = load_settings({})
    assert settings.database_url.startswith("sqlite:///") and settings.redis_url is None
    assert settings.session_cookie == "houqin_session"


def test_numeric_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="HOUQIN_DB_POOL_MAX must be a positive whole number"):
        load_settings({"HOUQIN_DB_POOL_MAX": "lots"})
    assert load_settings({"HOUQIN_LOGIN_MAX_FAILURES": "3"}).login_max_failures == 3


@given(seconds=st.floats(min_value=-4e8, max_value=4e8), locale=st.sampled_from(["zh_CN", "en"]))
def test_relative_times_word_exactly_as_babel_does(seconds: float, locale: str) -> None:
    # format_relative reuses wordings per (unit, count, direction): same text as Babel's.
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    moment = now + timedelta(seconds=seconds)
    i18n.set_locale(locale)
    expected = format_timedelta(
        moment - now, add_direction=True, locale=Locale.parse(locale), threshold=1.0
    )
    assert i18n.format_relative(moment, now) == expected


@given(
    seconds=st.integers(min_value=0, max_value=10**8),
    locale=st.sampled_from(["zh_CN", "en"]),
    zone=st.sampled_from(["Asia/Shanghai", "America/New_York", "UTC"]),
    with_year=st.booleans(),
)
def test_dates_word_exactly_as_babel_does(
    seconds: int, locale: str, zone: str, with_year: bool
) -> None:
    # format_dt words each day once per language and zone: same text as Babel's.
    from babel.dates import format_skeleton, get_timezone

    moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    i18n.set_locale(locale)
    token = i18n._tz.set(zone)
    try:
        tz = get_timezone(zone)
        day = format_skeleton(
            "yMMMd" if with_year else "MMMd", moment, tzinfo=tz, locale=Locale.parse(locale)
        )
        assert i18n.format_dt(moment, with_year) == f"{day} {moment.astimezone(tz):%H:%M}"
    finally:
        i18n._tz.reset(token)
