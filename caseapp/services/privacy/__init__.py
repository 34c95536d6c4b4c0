"""Reporters' personal data (Decree 13/2023/NĐ-CP): encryption at rest and the phone index
(encryption), who was shown an identity (disclosure), how long identities are kept (retention),
key rotation (keys), and what a reporter may ask for: an export or an erasure (subject_requests).

For other rooms: `disclosure.show_identity(user, case, channel)` is the one way to put a
reporter's identity in front of staff (it checks the rules and records the disclosure);
`encryption.phone_lookup(phone)` is the one way to find cases by phone in SQL.
"""
