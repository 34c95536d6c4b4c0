"""The business calendar (Vietnamese working days) and SLA arithmetic: domain code, no database."""
