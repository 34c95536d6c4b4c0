"""Accounts: staff logins with lockout, and API bearer tokens."""
