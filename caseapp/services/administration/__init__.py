"""Administration: agencies, users, categories, SLA policies, the calendar, process versions."""
