"""Every translatable string in the source is in the zh_CN catalog, translated.

Extraction uses the same babel.cfg as `make messages`, so a string added to a
template or to Python without running `make messages` and translating fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def _source_ids(folder: Path) -> set[str]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(folder), method_map, options_map, keywords=KEYWORDS
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def _catalog(path: Path) -> dict[str, str]:
    with path.open("rb") as fh:
        catalog = read_po(fh)
    return {
        m.id if isinstance(m.id, str) else m.id[0]: (
            m.string if isinstance(m.string, str) else m.string[0]
        )
        for m in catalog
        if m.id
    }


CATALOGS = [
    (["core", "web"], ROOT / "core" / "locale"),
    *[
        ([f"plugins/{p.name}"], p / "locale")
        for p in sorted((ROOT / "plugins").iterdir())
        if (p / "locale").is_dir()
    ],
]


@pytest.mark.parametrize(("folders", "locale_dir"), CATALOGS, ids=lambda v: str(v))
def test_source_strings_are_translated(folders: list[str], locale_dir: Path) -> None:
    ids = set().union(*(_source_ids(ROOT / f) for f in folders))
    zh = _catalog(locale_dir / "zh_CN" / "LC_MESSAGES" / "messages.po")
    assert (locale_dir / "en" / "LC_MESSAGES" / "messages.po").exists()
    missing = sorted(i for i in ids if not zh.get(i))
    assert not missing, f"run `make messages` and translate into zh_CN: {missing}"
