"""Core's notification channels and jobs, registered through the same hooks as a plugin's.

Listed in ``core.plugins.CORE_PLUGINS``, so it is always on (like core.default_plugin).
"""

from __future__ import annotations

from core.hookspecs import hookimpl
from core.jobs import Job, JobContext
from core.notifications import email
from core.notifications.channels import Message, NotificationChannel
from core.notifications.outbox import JOBS


@hookimpl
def register_jobs() -> list[Job]:
    return list(JOBS)


@hookimpl
def register_notification_channels() -> list[NotificationChannel]:
    return [email.CHANNEL]


@hookimpl
async def deliver_notification(message: Message, ctx: JobContext) -> bool | None:
    if message.channel != email.NAME:
        return None
    await email.send(message, ctx.settings)
    return True
