"""Delivery: the notification outbox, its transports, and after-commit announcements."""
