"""E-mail through SMTP with the standard library: plain, STARTTLS or implicit TLS, login.

:class:`SmtpSettings` is what an operator configures (``LEXFLOW_SMTP_*``, see the README);
:class:`SmtpMailer` turns an outbox item into a multipart message (plain text and HTML in
the recipient's language, with a link to the task or draft) and opens one connection per
batch for the outbox to send through. Certificates are verified (the system's trust store,
or ``ca_file`` for a private authority or a self-signed server); the password is sent only
over TLS unless the operator chose no security at all.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Protocol

from engine import clock
from workflows.notifications.kinds import Translate, render

SECURITIES = ("none", "starttls", "tls")

#: Headers folded only past RFC 5322's 998-character line limit. Python 3.11 folds a long
#: Vietnamese subject at 78 characters by ending an encoded word right before a space and
#: starting the next one after it; whitespace between encoded words is not text (RFC 2047),
#: so "Quy định" reached the reader as "Quyđịnh".
MAIL_POLICY = email_policy.default.clone(max_line_length=998)


@dataclass(frozen=True)
class OutgoingMail:
    """One outbox item as the sender sees it (read in the claim transaction)."""

    outbox_id: int
    notification_id: int
    to: str
    language: str
    kind: str
    params: Mapping[str, Any]
    task_id: str | None
    draft_id: int | None


class MailConnection(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class Mailer(Protocol):
    """What :func:`workflows.notifications.outbox.deliver_outbox` sends through."""

    #: Seconds one network operation may take (the outbox sizes its claims from it).
    timeout: float

    def compose(self, mail: OutgoingMail) -> EmailMessage: ...

    def connect(self) -> Any:
        """A context manager yielding a :class:`MailConnection`."""
        ...


class PermanentFailure(Exception):
    """The server refused this message for good (5xx for the recipient or the content)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    security: str = "none"  # none | starttls | tls
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "lexflow@localhost"
    timeout: float = 20.0
    #: PEM file of the certificate authority (or the server's own certificate) to trust
    #: instead of the system's store.
    ca_file: str | None = None
    #: Absolute URL of the web app ("https://lexflow.example.gov.vn"); links need it.
    base_url: str | None = None

    def __post_init__(self) -> None:
        if self.security not in SECURITIES:
            raise ValueError(
                f"SMTP security must be one of {', '.join(SECURITIES)}, not {self.security!r}"
            )
        if not 0 < self.port < 65536:
            raise ValueError(f"SMTP port {self.port} is not a port number")


class SmtpMailer:
    """Sends outbox items through one SMTP server; ``translations(language)`` gives the
    catalogue lookup of a language (English text without it)."""

    task_path = "/tasks/{task_id}"
    draft_path = "/drafts/{draft_id}"

    def __init__(
        self,
        settings: SmtpSettings,
        translations: Callable[[str], Translate] | None = None,
    ) -> None:
        self.settings = settings
        self.timeout = settings.timeout
        self._translations = translations

    def link(self, mail: OutgoingMail) -> str | None:
        base = (self.settings.base_url or "").rstrip("/")
        if not base:
            return None
        if mail.task_id:
            return base + self.task_path.format(task_id=mail.task_id)
        if mail.draft_id:
            return base + self.draft_path.format(draft_id=mail.draft_id)
        return base + "/notifications"

    def compose(self, mail: OutgoingMail) -> EmailMessage:
        translate = self._translations(mail.language) if self._translations else None
        words = render(mail.kind, mail.params, mail.language, translate, link=self.link(mail))
        message = EmailMessage(policy=MAIL_POLICY)
        message["From"] = self.settings.sender
        message["To"] = mail.to
        message["Subject"] = words.subject
        message["Date"] = format_datetime(clock.now())
        # One id per outbox row: a receiver that got a re-sent copy can tell it is the same.
        domain = self.settings.sender.rpartition("@")[2] or "lexflow"
        message["Message-ID"] = f"<lexflow.outbox.{mail.outbox_id}@{domain}>"
        message.set_content(words.text)
        message.add_alternative(
            f'<!DOCTYPE html><html lang="{mail.language}"><body>{words.html}</body></html>',
            subtype="html",
        )
        # After the body: making it multipart moves Content-* headers into the first part.
        message["Content-Language"] = mail.language
        return message

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file)

    @contextmanager
    def connect(self) -> Iterator[SmtpConnection]:
        s = self.settings
        client: smtplib.SMTP
        if s.security == "tls":
            client = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=self._tls_context()
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            client.ehlo()
            if s.security == "starttls":
                client.starttls(context=self._tls_context())
                client.ehlo()
            if s.user:
                client.login(s.user, s.password or "")
            yield SmtpConnection(client)
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()


class SmtpConnection:
    def __init__(self, client: smtplib.SMTP) -> None:
        self.client = client

    def send(self, message: EmailMessage) -> None:
        try:
            self.client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
            raise
        except smtplib.SMTPDataError as exc:
            if 500 <= exc.smtp_code < 600:
                problem = f"message refused: {exc.smtp_code} {exc.smtp_error!r}"
                raise PermanentFailure(problem) from exc
            raise
