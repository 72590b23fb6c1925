"""Notices (公告): the logistics office posts notices that everyone sees on the home screen."""

from web.sdk import PluginInfo

PLUGIN = PluginInfo(
    slug="notices",
    name=lambda _: _("Notices"),
    description=lambda _: _(
        "Announcements from the logistics office, shown on everyone's home screen."
    ),
    hooks=("hooks",),
    icon="speakerphone",
)
