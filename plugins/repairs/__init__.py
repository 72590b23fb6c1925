"""Repairs (设备报修): locations, assets with QR stickers, and fault reports from the phone."""

from web.sdk import PluginInfo

PLUGIN = PluginInfo(
    slug="repairs",
    name=lambda _: _("Repairs"),
    description=lambda _: _(
        "Report faults from the phone or by scanning an asset's QR sticker;"
        " keep the asset register."
    ),
    hooks=("hooks",),
    icon="tool",
)
