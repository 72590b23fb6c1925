"""Key loans (钥匙借用): borrow a key at the front desk, hand it back later."""

from web.sdk import PluginInfo

PLUGIN = PluginInfo(
    slug="keys",
    name=lambda _: _("Key loans"),
    description=lambda _: _(
        "Borrow a key from the front desk and hand it back; the desk sees which keys are out."
    ),
    icon="key",
    has_tables=False,
    hooks=("hooks",),
)
