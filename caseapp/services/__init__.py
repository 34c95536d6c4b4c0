"""Use cases, in rooms by concept: cases/ (every command that changes a case), reads/ (what
pages and the API show), administration/ (reference data, SLA, calendar, process versions),
delivery/ (the outbox and after-commit announcements), accounts/ (logins and API tokens),
privacy/ (reporters' personal data: encryption, disclosures, retention, reporters' requests)."""
