"""Notices (公告): the logistics office posts notices that everyone sees on the home screen."""

from core.descriptors import PluginInfo

PLUGIN = PluginInfo(
    slug="notices",
    name=lambda _: _("Notices"),
    description=lambda _: _(
        "Announcements from the logistics office, shown on everyone's home screen."
    ),
    icon="speakerphone",
)

from plugins.notices.hooks import *  # noqa: E402, F403  (hook implementations)
