"""Test helpers shared by core's tests: the fixture plugin (tests/fixture_plugin),
loadable through a ``houqin`` entry point without pip, and the plugins.toml that installs
only it, so that a core test does not depend on the built-in plugins."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

SOURCE = Path(__file__).parent / "fixture_plugin"


def fixture_plugin(folder: Path) -> Path:
    """Make ``houqin_fixture`` importable and known to ``importlib.metadata`` (a
    ``.dist-info`` with its entry point, in ``folder``); return a plugins.toml, in
    ``folder``, that installs only the fixture plugin."""
    info = folder / "houqin_fixture-0.0.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: houqin-fixture\nVersion: 0.0.0\n", "utf-8"
    )
    (info / "entry_points.txt").write_text("[houqin]\nfixture = houqin_fixture\n", "utf-8")
    for path in (str(SOURCE), str(folder)):
        if path not in sys.path:
            sys.path.append(path)
    importlib.invalidate_caches()
    toml = folder / "plugins.toml"
    toml.write_text("[plugins.fixture]\nenabled_by_default = true\n", "utf-8")
    return toml
