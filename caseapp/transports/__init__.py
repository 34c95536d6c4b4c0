"""Notification transports: how an outbox row reaches a person.

A transport takes one `OutgoingMessage` and either delivers it or raises:
`TransportError` for a temporary failure (the row is retried with back-off) or
`PermanentTransportError` when retrying cannot help (the row is marked failed).

Built in: "log" (the default: writes the message to the application log) and "smtp" (e-mail).
SMS or Zalo gateways plug in with `register_transport("zalo", factory)`, where the factory takes
the app config and returns a transport, and `NOTIFY_CHANNELS="zalo=zalo"` routes a channel to it.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: int
    channel: str
    recipient_address: str | None
    subject: str
    body: str
    kind: str = ""
    case_id: int | None = None
    recipient_user_id: int | None = None


class TransportError(Exception):
    """A temporary failure: try again later."""


class PermanentTransportError(TransportError):
    """Retrying cannot help (no address, recipient refused, misconfiguration)."""


class Transport(Protocol):
    name: str

    def send(self, message: OutgoingMessage) -> None:
        """Deliver the message or raise TransportError / PermanentTransportError."""


TransportFactory = Callable[[Mapping], Transport]
_factories: dict[str, TransportFactory] = {}


def register_transport(name: str, factory: TransportFactory) -> None:
    """Make a transport available under `name` (a later registration replaces an earlier one)."""
    _factories[name] = factory


def available_transports() -> list[str]:
    return sorted(_factories)


def create_transport(name: str, config: Mapping) -> Transport:
    factory = _factories.get(name)
    if factory is None:  # retried (with back-off, up to the attempt limit) until one is configured
        raise TransportError(f"no transport registered as {name!r}")
    return factory(config)


def channel_routes(config: Mapping) -> dict[str, str]:
    """channel -> transport name: 'log' always logs, 'email' uses NOTIFY_TRANSPORT, and
    NOTIFY_CHANNELS ("sms=viettel,zalo=zalo") adds or overrides routes."""
    routes = {"log": "log", "email": config.get("NOTIFY_TRANSPORT") or "log"}
    for part in (config.get("NOTIFY_CHANNELS") or "").split(","):
        if "=" in part:
            channel, name = (piece.strip() for piece in part.split("=", 1))
            if channel and name:
                routes[channel] = name
    return routes


def transport_for(channel: str, config: Mapping) -> Transport:
    """The transport that delivers a channel under this configuration."""
    name = channel_routes(config).get(channel)
    if name is None:
        raise TransportError(f"no transport configured for channel {channel!r}")
    return create_transport(name, config)


def _register_builtins() -> None:
    from .log import LogTransport
    from .smtp import SmtpTransport
    register_transport("log", LogTransport.from_config)
    register_transport("smtp", SmtpTransport.from_config)


_register_builtins()

__all__ = ["OutgoingMessage", "PermanentTransportError", "Transport", "TransportError",
           "available_transports", "channel_routes", "create_transport", "register_transport",
           "transport_for"]
