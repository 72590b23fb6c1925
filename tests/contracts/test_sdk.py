"""The SDK is the whole of what a plugin may use: the import contract holds, the checker
catches each kind of breach, every SDK name is documented, every hook is registered."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import web.sdk as sdk
from core.config import load_settings
from core.plugins import InstalledPlugin, build_plugin_registry
from tests.contracts import imports

DOCS = Path(__file__).parents[2] / "docs" / "plugins.md"
REGISTRY = build_plugin_registry(load_settings({}).plugins_file)


def test_the_import_contract_holds() -> None:
    assert imports.breaches() == []


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for top in imports.FIRST_PARTY:
        (root / top).mkdir(exist_ok=True)
        (root / top / "__init__.py").touch()
    return root


def test_the_checker_finds_each_kind_of_breach(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "core/a.py": "def f():\n    from core import b\n",  # lazy: still a cycle
            "core/b.py": "from core.a import f\n",
            "core/c.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from core.d import X\n"
            ),
            "core/d.py": "import core.c\n",  # c → d only for typing: no cycle
            "core/e.py": "from web.auth import current_actor\n",
            "web/sdk/__init__.py": "from core.a import f\n",
            "web/auth.py": "",
            "plugins/good/__init__.py": "PLUGIN = PluginInfo(slug='good', requires=('base',))\n",
            "plugins/good/x.py": (
                "from web.sdk import f\nfrom plugins.good import y\nfrom plugins.base import z\n"
                "from . import y\nimport litestar\n"
            ),
            "plugins/good/y.py": "",
            "plugins/base/__init__.py": "z = 1\n",
            "plugins/bad/__init__.py": "PLUGIN = PluginInfo(slug='bad')\n",
            "plugins/bad/x.py": "def g():\n    from core.tables import User\n",
            "plugins/bad/y.py": "from plugins.good import x\nfrom web import auth\n",
            "plugins/bad/piccolo_migrations/m1.py": "from core.migration_steps import raw\n",
        },
    )
    found = imports.breaches(root)
    assert any("core.a → core.b → core.a" in line for line in found), found
    assert not any("core.c" in line and "cycle" in line for line in found), found
    assert any(line.startswith("core.e:1 imports web.auth") for line in found), found
    bad = sorted(line.split(" imports ")[0] for line in found if "plugin imports only" in line)
    assert bad == [
        "plugins.bad.piccolo_migrations.m1:1",
        "plugins.bad.x:2",
        "plugins.bad.y:1",
        "plugins.bad.y:2",
    ], found
    assert len(found) == 6, found


def _documented() -> set[str]:
    """Names in code spans of docs/plugins.md's "The SDK" section."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("\n## The SDK\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)[`(]", section))


def test_every_sdk_name_is_documented_and_has_a_docstring() -> None:
    documented = _documented()
    undocumented = [name for name in sdk.__all__ if name not in documented]
    assert not undocumented, f"add these SDK names to docs/plugins.md: {undocumented}"
    no_docstring = [
        name
        for name in sdk.__all__
        if (inspect.isfunction(obj := getattr(sdk, name)) or inspect.isclass(obj))
        and not (obj.__doc__ or "").strip()
    ]
    assert not no_docstring, no_docstring
    assert sorted(sdk.__all__) == sorted(set(sdk.__all__)), "a name is listed twice"
    assert all(hasattr(sdk, name) for name in sdk.__all__)


def _modules_of(plugin: InstalledPlugin) -> list[object]:
    found = [plugin.module]
    for info in pkgutil.walk_packages([str(plugin.path)], plugin.module.__name__ + "."):
        if ".piccolo_migrations" not in info.name:
            found.append(importlib.import_module(info.name))
    return found


@pytest.mark.parametrize("plugin", list(REGISTRY.installed.values()), ids=lambda p: p.slug)
def test_every_hook_implementation_is_registered(plugin: InstalledPlugin) -> None:
    """A ``@hookimpl`` in a module the plugin does not name in ``PluginInfo.hooks`` would
    never be called: a silent no-op that this test turns into a failure."""
    marker = f"{REGISTRY.pm.project_name}_impl"
    unregistered = [
        f"{module.__name__}.{name}"
        for module in _modules_of(plugin)
        for name, obj in vars(module).items()
        if callable(obj)
        and getattr(obj, marker, None) is not None
        and getattr(obj, "__module__", None) == module.__name__
        and not REGISTRY.pm.is_registered(module)
    ]
    assert not unregistered, f"declare their module in PluginInfo.hooks: {unregistered}"
    assert any(REGISTRY.pm.is_registered(m) for m in plugin.hook_modules)
