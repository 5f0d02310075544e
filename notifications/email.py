"""E-mail transport: one templated helper, in the recipient's language.

Templates live in ``templates/emails/``: ``<name>-subject``, ``<name>-body`` (.txt) and
``<name>-body`` (.html). Each part is looked up first per language (``<name>-subject.en.txt``)
and then language-neutral (``<name>-subject.txt``, which may use {% translate %}). This
project's mails are written per language: whole sentences translate better than fragments, the
mails do not wait for a compiled message catalogue, and the notification text they carry is
stored in both languages anyway. Rendering happens under ``translation.override`` so dates,
numbers and any {% translate %} follow the recipient, not the request that caused the mail.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.utils import translation

from directory.models import User


def language_of(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def absolute_url(link: str) -> str:
    """``/plans/3/`` → ``https://site/plans/3/`` (mails need absolute links)."""
    if link.startswith(("http://", "https://")):
        return link
    return settings.SITE_URL.rstrip("/") + "/" + link.lstrip("/")


def _render(name: str, part: str, ext: str, language: str, context: dict[str, Any]) -> str:
    template = select_template([f"emails/{name}-{part}.{language}.{ext}", f"emails/{name}-{part}.{ext}"])
    return template.render(context)


def render_templated(user: User, template_name: str, context: dict[str, Any]) -> tuple[str, str, str | None]:
    """(subject, text body, html body or None) for ``user``; split out so tests can read mails."""
    language = language_of(user)
    full_context = {"user": user, "site_url": settings.SITE_URL.rstrip("/"), "language": language, **context}
    with translation.override(language):
        subject = " ".join(_render(template_name, "subject", "txt", language, full_context).split())
        text = _render(template_name, "body", "txt", language, full_context)
        try:
            html: str | None = _render(template_name, "body", "html", language, full_context)
        except TemplateDoesNotExist:
            html = None
    return subject, text, html


def send_templated(
    user: User,
    template_name: str,
    context: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    connection: BaseEmailBackend | None = None,
) -> None:
    """Render and send one mail to ``user.email``. Raises on SMTP failure: callers decide retries.

    ``connection``: an open backend to send through, so a batch shares one SMTP connection;
    without it the mail opens (and closes) its own."""
    subject, text, html = render_templated(user, template_name, context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        # RFC 3834: tells auto-responders (out-of-office) not to answer.
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
        connection=connection,
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    message.send()
