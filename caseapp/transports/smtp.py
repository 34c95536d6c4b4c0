"""E-mail over SMTP (optionally STARTTLS and login)."""
from __future__ import annotations

import smtplib
import socket
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate

from . import OutgoingMessage, PermanentTransportError, TransportError


class SmtpTransport:
    name = "smtp"

    def __init__(self, host: str, port: int = 25, sender: str = "casebridge@localhost", *,
                 user: str | None = None, password: str | None = None, starttls: bool = False,
                 timeout: float = 10):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    @classmethod
    def from_config(cls, config: Mapping) -> "SmtpTransport":
        if not config.get("SMTP_HOST"):  # retried: an operator can still fix the configuration
            raise TransportError("NOTIFY_TRANSPORT=smtp needs SMTP_HOST")
        return cls(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25),
                   config.get("SMTP_SENDER") or "casebridge@localhost",
                   user=config.get("SMTP_USER"), password=config.get("SMTP_PASSWORD"),
                   starttls=bool(config.get("SMTP_STARTTLS")),
                   timeout=float(config.get("SMTP_TIMEOUT") or 10))

    def build(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient_address
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False, usegmt=True)
        domain = self.sender.rpartition("@")[2] or "casebridge.local"
        # One stable Message-ID per outbox row: receivers can drop a duplicate delivery.
        email["Message-ID"] = f"<notification-{message.notification_id}@{domain}>"
        email["X-CaseBridge-Notification"] = str(message.notification_id)
        email.set_content(message.body)
        return email

    def send(self, message: OutgoingMessage) -> None:
        if not message.recipient_address:
            raise PermanentTransportError("no e-mail address for this recipient")
        email = self.build(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
                if self.starttls:
                    client.starttls()
                if self.user:
                    client.login(self.user, self.password or "")
                client.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentTransportError(f"recipient refused: {exc.recipients}") from exc
            raise TransportError(f"recipient temporarily refused: {exc.recipients}") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentTransportError(f"SMTP login failed: {exc.smtp_code}") from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentTransportError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
            raise TransportError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, socket.timeout, OSError) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
