"""The fixture plugin of core's tests: one service type and one report section, written
with the SDK only, so that core's own tests need none of the built-in plugins (they
change with their features; core's contract does not). ``tests.fixtures.fixture_plugin``
makes it loadable through a ``houqin`` entry point, as a third-party package would be."""

from web.sdk import PluginInfo

PLUGIN = PluginInfo(
    slug="fixture",
    name=lambda _: "Fixture service",
    description=lambda _: "A service of core's tests",
    icon="box",
    has_tables=False,
    hooks=("hooks",),
)
