"""No known secret key: the app refuses to start without one, and `make run` gives a local
installation a random key of its own, made once and kept."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from caseapp import config as app_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_refuses_to_start_without_a_secret_key(tmp_path):
    from caseapp import create_app
    with pytest.raises(RuntimeError) as refused:
        create_app({"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    message = str(refused.value)
    assert message.startswith("SECRET_KEY is not set")
    assert "make run" in message and "instance/secret_key" in message


def test_no_key_configured_is_none_not_a_fixed_default(tmp_path):
    assert app_config.secret_key({}, tmp_path / "missing") is None


def test_tests_without_a_key_get_a_throwaway_random_one():
    first, second = {"TESTING": True}, {"TESTING": True}
    app_config.require_secret_key(first)
    app_config.require_secret_key(second)
    assert len(first["SECRET_KEY"]) == 64 and first["SECRET_KEY"] != second["SECRET_KEY"]


def test_the_environment_wins_over_the_key_file(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("from-the-file\n")
    assert app_config.secret_key({"SECRET_KEY": "from-the-environment"}, key_file) == "from-the-environment"
    assert app_config.secret_key({}, key_file) == "from-the-file"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_creates_a_random_key_once_and_the_app_reads_it(tmp_path):
    def make_key():
        subprocess.run(["make", "-s", "-C", str(tmp_path), "-f", str(ROOT / "Makefile"),
                        "instance/secret_key"], check=True, capture_output=True, timeout=60)

    make_key()
    key_file = tmp_path / "instance" / "secret_key"
    key = key_file.read_text().strip()
    assert len(key) == 64 and int(key, 16) >= 0  # 32 random bytes, hex
    assert key_file.stat().st_mode & 0o777 == 0o600  # readable by its owner only
    make_key()
    assert key_file.read_text().strip() == key  # kept: sessions survive a restart
    assert app_config.secret_key({}, key_file) == key


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_setup_makes_the_key_only_without_secret_key_in_the_environment():
    def planned(secret_key: str) -> str:
        return subprocess.run(["make", "-n", "-B", "-C", str(ROOT), "setup", f"SECRET_KEY={secret_key}"],
                              capture_output=True, text=True, timeout=60).stdout

    assert "secrets.token_hex" in planned("")
    assert "secrets.token_hex" not in planned("set-in-production")
