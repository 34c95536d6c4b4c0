"""Reporters' identities encrypted at rest (Fernet from `cryptography`) and a keyed phone index.

Keys: PERSONAL_DATA_KEYS, read only by caseapp.config; the first key encrypts, every key
decrypts (MultiFernet), so a new key is put first, `personal-data rotate-keys` re-encrypts every
row with it, and the old key can then be removed.

The phone index (case_file.reporter_phone_digest) is an HMAC-SHA256 of the normalised phone. Its
key is derived from each Fernet key with HKDF (a key of its own, never the encryption key itself):
new rows are indexed under the first key; a lookup asks for the digests under every configured
key, so finding a phone keeps working while a rotation is under way; rotate-keys recomputes the
digests under the first key.

Only this module and caseapp.config know about keys; models declare `EncryptedText` columns and
services keep reading and writing plain text.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.sql import ClauseElement, operators
from sqlalchemy.types import TypeDecorator

ERASED = "[erased]"  # what stays of a reporter's name, phone or e-mail once they are removed
INDEX_INFO = b"casebridge reporter phone index v1"


class PersonalDataKeyError(RuntimeError):
    """A token no configured key opens: a key was removed too early or never configured."""


class Keyring:
    """The configured keys: encrypt with the first, decrypt with any, index phones."""

    def __init__(self, keys: tuple[str, ...]):
        if not keys:
            from ...config import MISSING_PERSONAL_DATA_KEYS
            raise RuntimeError(MISSING_PERSONAL_DATA_KEYS)
        try:
            self.fernets = [Fernet(key.encode("ascii")) for key in keys]
        except (ValueError, UnicodeEncodeError) as exc:
            raise RuntimeError("PERSONAL_DATA_KEYS holds a value that is not a Fernet key "
                               "(32 random bytes, URL-safe base64)") from exc
        self.multi = MultiFernet(self.fernets)
        self.index_keys = [_index_key(key) for key in keys]

    def encrypt(self, text: str) -> str:
        """A Fernet token (ASCII) of the text, under the first key."""
        return self.multi.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The text of a token made under any configured key."""
        try:
            return self.multi.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise PersonalDataKeyError(
                "a reporter's personal data cannot be decrypted with PERSONAL_DATA_KEYS: "
                "keep every key that still encrypts rows until `personal-data rotate-keys` ran"
            ) from exc

    def under_first_key(self, token: str) -> bool:
        """Whether the token was made with the first key already (rotation skips it)."""
        try:
            self.fernets[0].decrypt(token.encode("ascii"))
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str:
        """The same text under the first key."""
        try:
            return self.multi.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as exc:
            raise PersonalDataKeyError("a token no configured key opens") from exc

    def phone_digest(self, phone: str | None) -> str | None:
        """The index value new rows get: HMAC of the normalised phone under the first key."""
        if not phone or phone == ERASED:
            return None
        return _hmac(self.index_keys[0], normalised_phone(phone))

    def phone_digests(self, phone: str) -> list[str]:
        """Every digest the phone may be indexed under (one per configured key)."""
        value = normalised_phone(phone)
        return [_hmac(key, value) for key in self.index_keys]


def _index_key(fernet_key: str) -> bytes:
    material = base64.urlsafe_b64decode(fernet_key.encode("ascii"))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INDEX_INFO).derive(material)


def _hmac(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def normalised_phone(phone: str) -> str:
    """The form phones are stored and indexed in (0xxxxxxxxx), whatever spacing or +84 was typed."""
    from ..cases.validation import normalise_phone  # the one definition of a Vietnamese phone
    return normalise_phone(phone) or "".join(str(phone).split())


@lru_cache(maxsize=8)
def keyring_for(keys: tuple[str, ...]) -> Keyring:
    """One keyring per set of keys (building it derives the index keys)."""
    return Keyring(keys)


def current_keyring() -> Keyring:
    """The keyring of the running app (or of the environment outside one)."""
    from ...config import configured_personal_data_keys
    return keyring_for(tuple(configured_personal_data_keys()))


def phone_digest(phone: str | None) -> str | None:
    """The index value for a phone being stored (None for none or an erased one)."""
    return current_keyring().phone_digest(phone)


def phone_lookup(column, phone: str):
    """The SQL condition "this digest column indexes that phone", under any configured key."""
    return column.in_(current_keyring().phone_digests(phone))


class EncryptedText(TypeDecorator):
    """Text stored as a Fernet token; Python code reads and writes plain text.

    Comparing such a column with a value in SQL cannot work (each encryption differs), so
    anything but IS NULL / IS NOT NULL against a Python value is refused: look phones up with
    phone_lookup() on the digest column. (Column-to-column expressions, which SQLAlchemy builds
    internally, pass.)
    """

    impl = Text
    cache_ok = True

    class comparator_factory(Text.Comparator):
        def operate(self, op, *other, **kwargs):
            if op in (operators.is_, operators.is_not) or \
                    all(isinstance(value, ClauseElement) for value in other):
                return super().operate(op, *other, **kwargs)
            raise TypeError("an encrypted column cannot be compared in SQL; "
                            "use caseapp.services.privacy.encryption.phone_lookup")

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return current_keyring().encrypt(str(value))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return current_keyring().decrypt(value)
