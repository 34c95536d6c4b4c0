"""Administration: reference data, users, SLA policies and the calendar, the audit log, process versions and their deploy checks."""
