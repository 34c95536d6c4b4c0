"""Open311 GeoReport v2: what other systems read and post at /open311/v2.

keys (API keys issued and revoked by admins), services (categories as services), requests
(the reports other systems read, and the ones they post), mapping (a case or a category in the
spec's field names), rendering (XML and JSON bodies, errors as the spec's list).
"""
