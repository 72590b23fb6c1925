"""The tutorial plugin of docs/plugins.md (``tests/tutorial_plugin``, key loans) works as a
real third-party package: pip installs it, houqin finds it through its ``houqin`` entry
point once plugins.toml lists ``[plugins.keys]``, and an organisation that switches it on
gets its tile, its request form, its actions, its timeline labels and its report section.

The package is installed once per module with pip (``--no-build-isolation``: no download,
the venv's setuptools builds it) into a temporary folder that is put on ``sys.path`` for
this module only; ``importlib.metadata`` then sees its ``.dist-info`` like any installed
distribution's. Nothing of the repository's source tree is imported in its place: the
copy that runs is the installed one.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta
from importlib.metadata import distribution, entry_points
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.clock import local_today, now
from core.config import Settings, load_settings
from core.descriptors import Period
from core.plugins import build_plugin_registry, load_installed
from core.tables import RequestEvent, ServiceRequest, Team
from tests.conftest import QueryCounter, login, make_org, post
from tests.contracts import imports
from tests.contracts.test_catalogs_current import _catalog, _source_ids

SOURCE = Path(__file__).parents[1] / "tutorial_plugin"
DOC = Path(__file__).parents[2] / "docs" / "plugins.md"
PACKAGE = SOURCE / "houqin_keys"
MODULE = "houqin_keys"
ROLES = {
    "employee": ("employee",),
    "desk": ("employee", "agent"),  # the front desk: the "keys" team's one member
    "admin": ("employee", "org_admin"),
    "keys_admin": ("employee", "service_admin:keys"),
}


def _can_build_wheels() -> bool:
    """Whether the venv's setuptools can build a wheel without downloading anything:
    setuptools 70.1 and later do it themselves, older ones need the ``wheel`` package."""
    if importlib.util.find_spec("setuptools.command.bdist_wheel") is not None:
        return True
    return importlib.util.find_spec("wheel") is not None


def _forget_the_package() -> None:
    for name in [m for m in sys.modules if m == MODULE or m.startswith(MODULE + ".")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The package, installed by pip into a folder of its own that is on ``sys.path``
    while this module's tests run."""
    if not _can_build_wheels():
        pytest.fail(
            "pip cannot build the tutorial plugin with --no-build-isolation: the venv's "
            "setuptools is older than 70.1 and the 'wheel' package is missing "
            "(install it: .venv/bin/pip install wheel)."
        )
    base = tmp_path_factory.mktemp("tutorial_plugin")
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = shutil.copytree(
        SOURCE, base / "src", ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    )
    target = base / "site"
    command = [
        *(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"),
        *("--no-build-isolation", "--no-input", "--disable-pip-version-check"),
        *("--target", str(target), str(source)),
    ]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"pip could not install the tutorial plugin:\n{exc.stderr}")
    _forget_the_package()
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        _forget_the_package()
        importlib.invalidate_caches()


def _plugins_toml(folder: Path, built_ins: Path) -> Path:
    """The repository's plugins.toml (the built-ins) plus the key-loans plugin, off until
    an organisation switches it on."""
    path = folder / "plugins.toml"
    text = built_ins.read_text(encoding="utf-8")
    path.write_text(text + "\n[plugins.keys]\nenabled_by_default = false\n", "utf-8")
    return path


# ---------------------------------------------------------------- the package itself


def test_pip_installs_it_and_the_entry_point_names_the_package(site: Path) -> None:
    found = [ep for ep in entry_points(group="houqin") if ep.name == "keys"]
    assert [ep.value for ep in found] == [MODULE], "no 'houqin' entry point named 'keys'"
    assert distribution("houqin-keys").version == "0.1.0"
    module = found[0].load()
    assert Path(module.__file__).parent == site / MODULE  # the installed copy, not the source
    assert module.PLUGIN.slug == "keys" and not module.PLUGIN.has_tables
    shipped = site / MODULE / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"
    assert shipped.exists(), "the wheel must ship the catalogs (package-data)"


def test_plugins_toml_loads_it_through_the_entry_point(site: Path, tmp_path: Path) -> None:
    toml = _plugins_toml(tmp_path, load_settings({}).plugins_file)
    loaded = {p.slug: p for p in load_installed(toml)}
    assert set(loaded) == {"notices", "repairs", "keys"}
    keys = loaded["keys"]
    assert keys.module.__name__ == MODULE and keys.path == site / MODULE
    assert [m.__name__ for m in keys.hook_modules] == [f"{MODULE}.hooks"]
    assert keys.piccolo_app is None  # has_tables=False: nothing to migrate


def _sdk_breaches(root: Path) -> list[str]:
    """What a third-party plugin under ``root`` imports of houqin besides ``web.sdk``,
    found by the import contract's own reader (tests/contracts/imports.py)."""
    files = sorted(root.rglob("*.py"))
    known = {imports.module_name(p, root) for p in files}
    return [
        f"{imp.importer}:{imp.line} imports {imp.target}"
        for path in files
        for imp in imports.imports_of(path, known, root)
        if imp.target != imports.SDK and not imp.target.startswith(imports.SDK + ".")
    ]


def _outside_imports(root: Path, own: str) -> list[str]:
    """Imports of modules that are neither the standard library, houqin (checked by
    :func:`_sdk_breaches`) nor the package itself: the package declares no dependency."""
    allowed = {*sys.stdlib_module_names, *imports.FIRST_PARTY, own}
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            found += [
                f"{path.name}:{node.lineno} imports {name}"
                for name in names
                if name.split(".")[0] not in allowed
            ]
    return found


def test_the_package_imports_only_the_sdk_and_the_standard_library(tmp_path: Path) -> None:
    assert _sdk_breaches(SOURCE) == []
    assert _outside_imports(SOURCE, MODULE) == []
    # the same reader does catch a third-party package that reaches around the SDK
    bad = tmp_path / "houqin_bad"
    bad.mkdir()
    (bad / "__init__.py").write_text(
        "from web.sdk import PluginInfo\nfrom core.tables import User\n"
        "def f():\n    from plugins.repairs import hooks\n    import litestar\n",
        encoding="utf-8",
    )
    assert _sdk_breaches(tmp_path) == [
        "houqin_bad:2 imports core.tables",
        "houqin_bad:4 imports plugins.repairs",
    ]
    assert _outside_imports(tmp_path, "houqin_bad") == ["__init__.py:5 imports litestar"]


def test_its_strings_are_translated_into_chinese() -> None:
    ids = _source_ids(PACKAGE)
    zh = _catalog(PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po")
    assert ids and not sorted(i for i in ids if not zh.get(i))
    assert (PACKAGE / "locale" / "en" / "LC_MESSAGES" / "messages.po").exists()


def test_the_tutorial_shows_the_package_s_code_unchanged() -> None:
    """docs/plugins.md's tutorial quotes the package: every Python block, and the
    pyproject block, is a piece of the package's files as they are."""
    doc = DOC.read_text(encoding="utf-8")
    start = doc.index("## Tutorial: a plugin in an afternoon")
    section = doc[start : doc.index("\n## ", start + 1)]
    blocks = re.findall(r"^```(python|toml)\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    sources = [p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*.py"))]
    pyproject = (SOURCE / "pyproject.toml").read_text(encoding="utf-8")
    python = [code for lang, code in blocks if lang == "python"]
    assert len(python) >= 6
    for code in python:
        assert any(code in text for text in sources), f"not in the package:\n{code}"
    [toml] = [code for lang, code in blocks if lang == "toml" and "[build-system]" in code]
    assert toml in pyproject


# ---------------------------------------------------------------- end to end, both engines


@pytest.fixture
def keys_app(site: Path, settings: Settings, tmp_path: Path) -> Litestar:
    from web.app import create_app

    toml = _plugins_toml(tmp_path, settings.plugins_file)
    configured = replace(settings, plugins_file=toml)
    return create_app(configured, build_plugin_registry(toml), manage_engine=False)


@pytest.fixture
async def keys_client(keys_app: Litestar) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=keys_app, base_url="http://testserver.local") as c:
        c.follow_redirects = False
        yield c


async def _row(number: str) -> dict:
    return await ServiceRequest.select().where(ServiceRequest.number == number).first()


def _figure(page: str, label: str) -> str:
    found = re.search(
        rf'report-figure__label">{re.escape(label)}</span>\s*'
        r'<span class="report-figure__value">([^<]*)</span>\s*'
        r'(?:<span class="report-figure__hint">([^<]*)</span>)?',
        page,
    )
    assert found, f"no figure {label!r} on the page"
    return " | ".join(g for g in found.groups() if g)


async def test_a_key_loan_from_tile_to_report(keys_client: AsyncTestClient) -> None:
    client = keys_client
    org = await make_org(ROLES)

    # Installed but off (enabled_by_default = false): no tile, no form.
    await login(client, org.logins["employee"])
    assert 'href="/new/keys"' not in (await client.get("/")).text
    assert (await client.get("/new/keys")).status_code == 404

    # The organisation's admin switches it on in /admin/plugins and makes the front desk
    # the "keys" team in /admin/teams, so that new key requests are dispatched to it.
    await login(client, org.logins["admin"])
    assert "Key loans" in (await client.get("/admin/plugins")).text
    assert (await post(client, "/admin/plugins/keys", {"enabled": "on"})).status_code == 303
    team = {"name": "Front desk", "service": "keys", "strategy": "round_robin", "kinds": ""}
    assert (await post(client, "/admin/teams", team)).status_code == 303
    [desk_team] = await Team.select(Team.id).where((Team.org == org.id) & (Team.service == "keys"))
    member = {f"login-{desk_team['id']}": org.logins["desk"]}
    assert (
        await post(client, f"/admin/teams/{desk_team['id']}/members", member)
    ).status_code == 303

    # The employee's home screen has the service's one tile; core's generic form asks.
    await login(client, org.logins["employee"])
    home = (await client.get("/")).text
    assert home.count('href="/new/keys"') == 1 and "Key loans" in home
    form = await client.get("/new/keys")
    assert form.status_code == 200 and "Store-room or warehouse key" in form.text
    assert "Which key?" in form.text and "Ask for the key" in form.text  # the plugin's form
    token = re.search(r'name="submit_token" value="([^"]+)"', form.text)
    assert token
    missing = await post(client, "/new/keys", {"kind": "store", "submit_token": token.group(1)})
    assert missing.status_code == 422 and "Say which key you need." in missing.text
    made = await post(
        client,
        "/new/keys",
        {"kind": "store", "title": "仓库 B 钥匙", "submit_token": token.group(1)},
    )
    assert made.status_code == 303, made.text
    number = made.headers["location"].rsplit("/", 1)[1]
    assert number.startswith("YS-")
    row = await _row(number)
    # no approval, dispatched at once to the front desk
    assert row["status"] == "assigned" and row["assignee"] == org.users["desk"]
    # the requester is offered neither step, and may not take one
    assert 'data-action="keys.handed_over"' not in (await client.get(f"/requests/{number}")).text
    actions = f"/requests/{number}/actions"
    assert (await post(client, f"{actions}/keys.handed_over")).status_code == 403

    # The front desk hands the key over: the plugin's primary button, its timeline label.
    await login(client, org.logins["desk"])
    page = (await client.get(f"/requests/{number}")).text
    assert f'action="{actions}/keys.handed_over"' in page  # the form's primary action
    assert "Hand the key over" in page and "Key handed over" not in page
    handed = await post(
        client, f"{actions}/keys.handed_over", {"version": str(row["version"]), "note": "B-07"}
    )
    assert handed.status_code == 303, handed.text
    row = await _row(number)
    assert row["status"] == "in_progress" and row["first_response_at"] is not None
    page = (await client.get(f"/requests/{number}")).text
    assert "Key handed over" in page and "B-07" in page
    assert 'data-action="keys.returned"' in page and 'data-action="keys.handed_over"' not in page
    again = await post(client, f"{actions}/keys.handed_over")
    assert again.status_code == 409  # not twice

    # The report: a service admin of "keys" reads the section; the desk may not.
    assert (await client.get("/desk/reports")).status_code == 403
    await login(client, org.logins["keys_admin"])
    report = await client.get("/desk/reports")
    assert report.status_code == 200 and "Key loans" in report.text
    assert _figure(report.text, "Keys lent") == "1 | 0 returned"
    assert _figure(report.text, "Still out") == "1 | of the keys lent in the period"
    assert "Repairs by team" not in report.text  # only the plugins they administer

    # The key comes back: the request is done, the timeline says so in the plugin's words.
    await login(client, org.logins["desk"])
    assert (await post(client, f"{actions}/keys.returned")).status_code == 303
    assert (await _row(number))["status"] == "resolved"
    assert "Key returned" in (await client.get(f"/requests/{number}")).text
    kinds = await (
        RequestEvent.select(RequestEvent.kind)
        .where(RequestEvent.request == row["id"])
        .order_by(RequestEvent.id)
    )
    plugin_events = [k["kind"] for k in kinds if k["kind"].startswith("keys.")]
    assert plugin_events == ["keys.handed_over", "keys.returned"]
    await login(client, org.logins["keys_admin"])
    report = (await client.get("/desk/reports")).text
    assert _figure(report, "Keys lent") == "1 | 1 returned"
    assert _figure(report, "Still out") == "0 | of the keys lent in the period"


async def test_the_report_runs_one_query_scoped_to_the_org_and_period(
    site: Path, queries: QueryCounter
) -> None:
    from houqin_keys.report import sections  # the installed copy, on sys.path through site

    org = await make_org(ROLES)
    other = await make_org(ROLES)
    moment = now()
    lent = [(org, moment), (org, moment - timedelta(days=40)), (other, moment), (other, moment)]
    for n, (owner, at) in enumerate(lent):
        made = await ServiceRequest.insert(
            ServiceRequest(
                org=owner.id,
                number=f"YS-TEST-{n:04d}",
                service="keys",
                kind="room",
                title="会议室钥匙",
                requester=owner.users["employee"],
                status="in_progress",
            )
        ).returning(ServiceRequest.id)
        await RequestEvent.insert(
            RequestEvent(
                org=owner.id, request=made[0]["id"], kind="keys.handed_over", created_at=at
            )
        )
    today = local_today("UTC")
    queries.reset()
    [section] = await sections(org.id, Period(today - timedelta(days=6), today, "UTC"))
    assert queries.count == 1
    # one of this organisation's two loans is in the period; the other's are never seen
    assert [f.value for f in section.figures] == ["1", "1"]
    [past] = await sections(org.id, Period(today - timedelta(days=60), today, "UTC"))
    assert [f.value for f in past.figures] == ["2", "2"]
