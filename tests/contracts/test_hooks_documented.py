"""Every hookspec has a docstring and a section in docs/plugins.md."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from core import hookspecs

DOC = Path(__file__).parents[2] / "docs" / "plugins.md"


def _hookspecs() -> dict[str, object]:
    return {
        name: fn
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, "houqin_spec")
    }


def test_there_are_hookspecs() -> None:
    assert len(_hookspecs()) >= 5


def test_every_hookspec_has_a_docstring() -> None:
    for name, fn in _hookspecs().items():
        assert (fn.__doc__ or "").strip(), f"hookspec {name} has no docstring"


def test_every_hookspec_is_documented() -> None:
    headings = set(
        re.findall(r"^### `?([a-z_]+)`?\s*$", DOC.read_text(encoding="utf-8"), re.MULTILINE)
    )
    missing = sorted(set(_hookspecs()) - headings)
    assert not missing, f"docs/plugins.md lacks a '### name' section for: {missing}"
