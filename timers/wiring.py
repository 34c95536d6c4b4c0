"""Connects the services' after-commit hooks to RQ when REDIS_URL is set."""
from __future__ import annotations

from flask import Flask


def register_scheduler(app: Flask) -> None:
    """With Redis, new deadlines and outbox rows are handed to RQ; without, nothing to do."""
    from caseapp.services.delivery import hooks
    hooks.clear()
    if not app.config.get("REDIS_URL"):
        return
    from .scheduling import register
    register(app)
