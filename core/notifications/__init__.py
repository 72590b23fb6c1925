"""Notifications beyond the in-app list: channels, per-user preferences, the outbox.

- ``channels.py``: :class:`NotificationChannel` (declared through the
  ``register_notification_channels`` hook) and the :class:`Message` handed to
  ``deliver_notification``.
- ``preferences.py``: event groups, each user's choice per group and channel
  (immediate, daily digest, off), quiet hours, digest times.
- ``outbox.py``: delivery rows written in the notification's transaction; the jobs
  that send them with claims, retries and backoff; the delivery log.
- ``email.py``: core's e-mail channel (aiosmtplib), on when ``HOUQIN_SMTP_HOST`` is set.
- ``plugin.py``: core's hook implementations (channel, jobs).
- ``text.py``: the wording of each notification kind.
"""

from core.notifications.channels import (
    Item,
    Message,
    NotificationChannel,
    Recipient,
    Undeliverable,
)

__all__ = ["Item", "Message", "NotificationChannel", "Recipient", "Undeliverable"]
