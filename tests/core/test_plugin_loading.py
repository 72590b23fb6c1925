"""Building the plugin manager from plugins.toml: what loads, what is refused."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from core import plugins as plugin_mod
from core.config import ROOT
from core.descriptors import PluginInfo
from core.hookspecs import hookimpl
from core.plugins import PluginError, build_plugin_registry, installed_piccolo_apps


def _toml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "plugins.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def _fake_entry_point(monkeypatch: pytest.MonkeyPatch, slug: str, module: types.ModuleType) -> None:
    sys.modules[module.__name__] = module
    ep = EntryPoint(name=slug, value=module.__name__, group="houqin")
    monkeypatch.setattr(plugin_mod, "entry_points", lambda group: [ep] if group == "houqin" else [])


def _module(name: str, info: PluginInfo, **attrs: object) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = str(Path("/nonexistent") / name / "__init__.py")
    module.PLUGIN = info  # type: ignore[attr-defined]
    for key, value in attrs.items():
        setattr(module, key, value)
    return module


def test_builtin_plugins_listed_are_loaded(tmp_path: Path) -> None:
    registry = build_plugin_registry(_toml(tmp_path, "[plugins.notices]\n"))
    assert registry.slugs == ["notices"]
    assert installed_piccolo_apps(tmp_path / "plugins.toml") == [
        "core.piccolo_app",
        "plugins.notices.piccolo_app",
    ]


def test_unlisted_plugin_is_not_imported_nor_migrated(tmp_path: Path) -> None:
    empty = _toml(tmp_path, "# nothing installed\n")
    code = (
        "import sys; from core.plugins import build_plugin_registry, installed_piccolo_apps; "
        f"r = build_plugin_registry(__import__('pathlib').Path({str(empty)!r})); "
        "from web.app import create_app; import core.config as c; "
        "create_app(c.load_settings()); "
        f"print(r.slugs, installed_piccolo_apps(__import__('pathlib').Path({str(empty)!r})), "
        "'plugins.notices' in sys.modules)"
    )
    env = {**os.environ, "HOUQIN_PLUGINS_FILE": str(empty), "HOUQIN_VAR_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[] ['core.piccolo_app'] False"


def test_missing_dependency_names_both_plugins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = PluginInfo(
        slug="catering", name=lambda _: "Catering", description=lambda _: "", requires=("rooms",)
    )
    _fake_entry_point(monkeypatch, "catering", _module("fake_catering", info))
    with pytest.raises(PluginError) as exc:
        build_plugin_registry(_toml(tmp_path, "[plugins.catering]\n"))
    assert "'catering' requires plugin 'rooms'" in str(exc.value)


def test_misspelt_hook_is_rejected_at_startup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    @hookimpl
    def home_tile(actor):
        return []

    info = PluginInfo(
        slug="typo", name=lambda _: "Typo", description=lambda _: "", has_tables=False
    )
    _fake_entry_point(monkeypatch, "typo", _module("fake_typo", info, home_tile=home_tile))
    with pytest.raises(PluginError, match="home_tile"):
        build_plugin_registry(_toml(tmp_path, "[plugins.typo]\n"))


def test_unknown_plugin_and_bad_slug_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match="neither a built-in"):
        build_plugin_registry(_toml(tmp_path, "[plugins.nosuchthing]\n"))
    with pytest.raises(PluginError, match="lower-case"):
        build_plugin_registry(_toml(tmp_path, '[plugins."Bad-Slug"]\n'))
    with pytest.raises(PluginError, match="not found"):
        build_plugin_registry(tmp_path / "missing.toml")


def test_plugin_without_plugin_info_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = types.ModuleType("fake_noinfo")
    _fake_entry_point(monkeypatch, "noinfo", module)
    with pytest.raises(PluginError, match="PLUGIN = PluginInfo"):
        build_plugin_registry(_toml(tmp_path, "[plugins.noinfo]\n"))
