"""Repairs (设备报修): locations, assets with QR stickers, and fault reports from the phone."""

from core.descriptors import PluginInfo

PLUGIN = PluginInfo(
    slug="repairs",
    name=lambda _: _("Repairs"),
    description=lambda _: _(
        "Report faults from the phone or by scanning an asset's QR sticker;"
        " keep the asset register."
    ),
    icon="tool",
)

from plugins.repairs.hooks import *  # noqa: E402, F403  (hook implementations)
