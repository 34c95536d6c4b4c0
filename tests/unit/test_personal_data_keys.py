"""Personal data keys: from the environment or the installation's key file, never none outside
tests; first key encrypts, every key decrypts; the phone index is keyed and spelling-proof."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from caseapp import config as app_config
from caseapp.services.privacy.encryption import ERASED, Keyring, PersonalDataKeyError

ROOT = Path(__file__).resolve().parents[2]


def test_keys_come_from_the_environment_before_the_key_file(tmp_path):
    key_file = tmp_path / "personal_data_keys"
    key_file.write_text("from-the-file\n")
    assert app_config.personal_data_keys({"PERSONAL_DATA_KEYS": " new , old,"}, key_file) == ["new", "old"]
    assert app_config.personal_data_keys({}, key_file) == ["from-the-file"]
    assert app_config.personal_data_keys({}, tmp_path / "missing") == []


def test_the_app_refuses_to_start_without_a_personal_data_key(tmp_path):
    from caseapp import create_app
    with pytest.raises(RuntimeError) as refused:
        create_app({"SECRET_KEY": "s", "PERSONAL_DATA_KEYS": [],
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert str(refused.value).startswith("PERSONAL_DATA_KEYS is not set")
    assert "instance/personal_data_keys" in str(refused.value)


def test_tests_get_one_throwaway_key_shared_with_the_workers_they_start():
    first, second = {"TESTING": True}, {"TESTING": True}
    app_config.require_personal_data_keys(first)
    app_config.require_personal_data_keys(second)
    assert first["PERSONAL_DATA_KEYS"] == second["PERSONAL_DATA_KEYS"]
    Fernet(first["PERSONAL_DATA_KEYS"][0])  # a real Fernet key
    child = app_config.child_environment({})["PERSONAL_DATA_KEYS"]
    assert child == ",".join(app_config.personal_data_keys() or first["PERSONAL_DATA_KEYS"])


def test_first_key_encrypts_every_key_decrypts_and_rotation_moves_tokens():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = Keyring((old,)).encrypt("Trần Thị Bình")
    both = Keyring((new, old))
    assert both.decrypt(token) == "Trần Thị Bình" and not both.under_first_key(token)
    rotated = both.rotate(token)
    assert both.under_first_key(rotated) and Keyring((new,)).decrypt(rotated) == "Trần Thị Bình"
    with pytest.raises(PersonalDataKeyError):
        Keyring((new,)).decrypt(token)
    assert both.encrypt("x") != both.encrypt("x")  # no equal tokens to compare


def test_phone_digests_are_keyed_and_spelling_proof():
    one, two = Keyring((Fernet.generate_key().decode(),)), Keyring((Fernet.generate_key().decode(),))
    digest = one.phone_digest("0912345678")
    assert one.phone_digest("+84 912 345 678") == digest == one.phone_digest("0912.345.678")
    assert two.phone_digest("0912345678") != digest  # without the key, no dictionary of phones
    assert one.phone_digest(ERASED) is None and one.phone_digest(None) is None
    k1, k2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    rotating = Keyring((k1, k2))  # a lookup during a rotation tries the digest under each key
    assert rotating.phone_digests("0912 345 678") == [
        Keyring((k1,)).phone_digest("0912345678"), Keyring((k2,)).phone_digest("0912345678")]


def test_a_value_that_is_not_a_fernet_key_is_refused_clearly():
    with pytest.raises(RuntimeError, match="not a Fernet key"):
        Keyring(("not-a-key",))


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_creates_a_random_key_once_and_the_app_reads_it(tmp_path):
    def make_key():
        subprocess.run(["make", "-s", "-C", str(tmp_path), "-f", str(ROOT / "Makefile"),
                        "instance/personal_data_keys"], check=True, capture_output=True, timeout=60)

    make_key()
    key_file = tmp_path / "instance" / "personal_data_keys"
    key = key_file.read_text().strip()
    Fernet(key)  # 32 random bytes, URL-safe base64
    assert key_file.stat().st_mode & 0o777 == 0o600
    make_key()
    assert key_file.read_text().strip() == key  # kept: losing it would lose every identity
    assert app_config.personal_data_keys({}, key_file) == [key]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_setup_makes_the_key_only_without_keys_in_the_environment():
    def planned(keys: str) -> str:
        return subprocess.run(["make", "-n", "-B", "-C", str(ROOT), "setup",
                               f"PERSONAL_DATA_KEYS={keys}"],
                              capture_output=True, text=True, timeout=60).stdout

    assert "urlsafe_b64encode" in planned("")
    assert "urlsafe_b64encode" not in planned("set-in-production")
