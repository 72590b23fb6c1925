"""Core's e-mail channel: a message worded in the recipient's language, sent with aiosmtplib.

On when ``HOUQIN_SMTP_HOST`` is set. Subject, a plain-text part and a simple HTML part
(Jinja, ``templates/email.html`` beside this file) carry what happened, the request's
number and title and a link to it — nothing else about the request (no description,
no other people's data) and no secrets.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core import i18n
from core.config import Settings
from core.i18n import gettext as _
from core.notifications.channels import Message, NotificationChannel, Undeliverable
from core.notifications.preferences import IMMEDIATE

TEMPLATES = Path(__file__).resolve().parent / "templates"
NAME = "email"
TIMEOUT = 30.0

CHANNEL = NotificationChannel(
    NAME,
    lambda _: _("E-mail"),
    default=IMMEDIATE,
    available=lambda settings: bool(settings.smtp_host),
    icon="mail",
)


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
    )
    env.filters["datetime"] = i18n.format_dt
    return env


def _one_line(text: str) -> str:
    """Header values never carry line breaks (no header injection through a title)."""
    return " ".join(text.split())


def _text_body(message: Message) -> str:
    lines = [_("Hello %(name)s,") % {"name": message.recipient.name}, ""]
    if message.digest:
        lines += [_("Here is what happened since the last digest."), ""]
    for item in message.items:
        lines.append(item.text)
        if item.request_number:
            lines.append(f"{item.request_title} ({item.request_number})")
        lines += [item.url, ""]
    lines += [
        "-- ",
        _("You receive this e-mail because of your notification settings."),
        _("Change what you receive: %(url)s") % {"url": message.settings_url},
    ]
    return "\n".join(lines) + "\n"


def render_email(message: Message, settings: Settings) -> EmailMessage:
    """The e-mail for ``message``; call with the recipient's locale active."""
    html = (
        _env()
        .get_template("email.html")
        .render(message=message, html_lang=i18n.html_lang(), brand="#1d64d8")
    )
    mail = EmailMessage()
    mail["Subject"] = _one_line(message.subject)
    mail["From"] = settings.smtp_from
    mail["To"] = formataddr((_one_line(message.recipient.name), message.recipient.email))
    mail["Date"] = formatdate(localtime=False)
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "localhost"
    mail["Message-ID"] = make_msgid("houqin", domain=domain)
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(_text_body(message))
    mail.add_alternative(html, subtype="html")
    mail["Content-Language"] = i18n.html_lang()  # after set_content, which drops Content-*
    return mail


async def send(message: Message, settings: Settings) -> None:
    """Send by SMTP; raises :class:`Undeliverable` when the user has no address, and
    any SMTP or network error otherwise (the outbox retries it)."""
    if not message.recipient.email:
        raise Undeliverable("no_address")
    if not settings.smtp_host:
        raise Undeliverable("channel_unavailable")
    mail = render_email(message, settings)
    implicit_tls = settings.smtp_port == 465  # SMTPS: TLS from the first byte, no STARTTLS
    import aiosmtplib  # only processes that send mail pay for it

    await aiosmtplib.send(
        mail,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_user or None,
        password=settings.smtp_password or None,
        start_tls=False if implicit_tls else settings.smtp_starttls,
        use_tls=implicit_tls,
        timeout=TIMEOUT,
    )
