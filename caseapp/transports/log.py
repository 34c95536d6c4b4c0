"""The default transport: the message goes to the application log (no external service)."""
from __future__ import annotations

import logging
from collections.abc import Mapping

log = logging.getLogger("caseapp.notifications")


class LogTransport:
    name = "log"

    @classmethod
    def from_config(cls, config: Mapping) -> "LogTransport":
        return cls()

    def send(self, message) -> None:
        log.info("notification %s (%s) to %s: %s", message.notification_id, message.kind,
                 message.recipient_address or f"user {message.recipient_user_id}", message.subject)
