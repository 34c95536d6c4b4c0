"""Configuration: the only module that reads os.environ."""
import base64
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
SECRET_KEY_FILE = INSTANCE_DIR / "secret_key"  # a local installation's random key (`make run`)
# the reporters' personal data keys of a local installation (`make run`), like SECRET_KEY_FILE
PERSONAL_DATA_KEYS_FILE = INSTANCE_DIR / "personal_data_keys"

MISSING_SECRET_KEY = (
    "SECRET_KEY is not set, and without it anyone could forge a session: set the SECRET_KEY "
    "environment variable to a long random value, the same for every web process and worker "
    "(e.g. python3 -c 'import secrets; print(secrets.token_hex(32))'); for a local installation, "
    "`make run` (or `make instance/secret_key`) creates a random one in instance/secret_key once.")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _int_list(name: str, default: list[int]) -> list[int]:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return list(default)
    return [int(part) for part in raw.split(",") if part.strip()]


def secret_key(environ: Mapping[str, str] = os.environ,
               key_file: Path | None = None) -> str | None:
    """SECRET_KEY from the environment, else the installation's own random key file, else None."""
    if environ.get("SECRET_KEY"):
        return environ["SECRET_KEY"]
    try:
        return (key_file or SECRET_KEY_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None


def require_secret_key(config: dict) -> None:
    """Refuse to run without a secret key (tests get a throwaway one): a known key forges sessions."""
    if config.get("SECRET_KEY"):
        return
    if config.get("TESTING"):
        config["SECRET_KEY"] = secrets.token_hex(32)
        return
    raise RuntimeError(MISSING_SECRET_KEY)


MISSING_PERSONAL_DATA_KEYS = (
    "PERSONAL_DATA_KEYS is not set, and without it the reporters' names, phones and e-mails "
    "cannot be stored encrypted: set PERSONAL_DATA_KEYS to one or more Fernet keys, "
    "comma-separated, the first one encrypting, the same for every web process and worker "
    "(e.g. python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'); "
    "for a local installation, `make run` (or `make instance/personal_data_keys`) creates one in "
    "instance/personal_data_keys once.")
_throwaway_personal_data_key: list[str] = []


def personal_data_keys(environ: Mapping[str, str] = os.environ,
                       key_file: Path | None = None) -> list[str]:
    """PERSONAL_DATA_KEYS (comma-separated, first encrypts, all decrypt: rotation) from the
    environment, else the installation's own key file, else none."""
    raw = environ.get("PERSONAL_DATA_KEYS") or ""
    if not raw.strip():
        try:
            raw = (key_file or PERSONAL_DATA_KEYS_FILE).read_text()
        except FileNotFoundError:
            raw = ""
    return [key.strip() for key in raw.replace("\n", ",").split(",") if key.strip()]


def throwaway_personal_data_key() -> str:
    """One random Fernet key per test process, shared with the workers it starts."""
    if not _throwaway_personal_data_key:
        _throwaway_personal_data_key.append(base64.urlsafe_b64encode(os.urandom(32)).decode())
    return _throwaway_personal_data_key[0]


def require_personal_data_keys(config: dict) -> None:
    """Refuse to run without a personal data key (tests get a throwaway one): reporters'
    identities are never stored in clear."""
    if config.get("PERSONAL_DATA_KEYS"):
        return
    if config.get("TESTING"):
        config["PERSONAL_DATA_KEYS"] = [throwaway_personal_data_key()]
        return
    raise RuntimeError(MISSING_PERSONAL_DATA_KEYS)


def configured_personal_data_keys() -> list[str]:
    """The keys of the running app (migrations run inside `flask db`, tests on a throwaway key),
    else the environment's: one source for the app, the migrations and the CLI."""
    from flask import current_app, has_app_context
    if has_app_context() and current_app.config.get("PERSONAL_DATA_KEYS"):
        return list(current_app.config["PERSONAL_DATA_KEYS"])
    keys = personal_data_keys()
    if not keys:
        raise RuntimeError(MISSING_PERSONAL_DATA_KEYS)
    return keys


def secure_cookies(environ: Mapping[str, str] = os.environ) -> bool:
    """Cookies only over HTTPS: SESSION_COOKIE_SECURE=1/0 says so, else on behind a proxy
    (TRUSTED_PROXIES set), where TLS is terminated and the browser talks HTTPS."""
    explicit = environ.get("SESSION_COOKIE_SECURE")
    if explicit not in (None, ""):
        return explicit == "1"
    return int(environ.get("TRUSTED_PROXIES") or 0) > 0


def from_environment() -> dict:
    """Build the app config from the environment so deployments need no code change."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'casebridge.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secret_key(),
        "PERSONAL_DATA_KEYS": personal_data_keys(),
        "DEADLINE_SWEEP_SECONDS": _int("DEADLINE_SWEEP_SECONDS", 5),
        "RQ_SWEEP_SECONDS": _int("RQ_SWEEP_SECONDS", 60),
        "SMTP_HOST": os.environ.get("SMTP_HOST") or None,
        "SMTP_PORT": _int("SMTP_PORT", 25),
        "SMTP_SENDER": os.environ.get("SMTP_SENDER") or "casebridge@localhost",
        "NOTIFY_TRANSPORT": os.environ.get("NOTIFY_TRANSPORT") or "log",
        # Workers and notifications (issue 4): SMTP details, retries, extra channel transports.
        "SMTP_USER": os.environ.get("SMTP_USER") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS") == "1",
        "SMTP_TIMEOUT": _int("SMTP_TIMEOUT", 10),
        "NOTIFY_MAX_ATTEMPTS": _int("NOTIFY_MAX_ATTEMPTS", 6),
        "NOTIFY_RETRY_SECONDS": _int_list("NOTIFY_RETRY_SECONDS", [30, 120, 600, 1800, 3600]),
        "NOTIFY_CHANNELS": os.environ.get("NOTIFY_CHANNELS") or "",
        "RQ_MAINTENANCE_SECONDS": _int("RQ_MAINTENANCE_SECONDS", 30),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR") or str(INSTANCE_DIR / "uploads"),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_ENABLED": os.environ.get("RATELIMIT_ENABLED", "1") != "0",
        # Behind a TLS-terminating reverse proxy (issue 12): how many proxies' X-Forwarded-*
        # headers to trust, and Secure cookies, on by default in that setup.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        "SESSION_COOKIE_SECURE": secure_cookies(),
        # Open311 GeoReport v2: the jurisdiction served and what discovery tells other systems.
        "OPEN311_JURISDICTION_ID": os.environ.get("OPEN311_JURISDICTION_ID") or "camau.gov.vn",
        "OPEN311_CONTACT": os.environ.get("OPEN311_CONTACT") or None,
        "OPEN311_KEY_SERVICE": os.environ.get("OPEN311_KEY_SERVICE") or None,
    }


def test_database_url() -> str:
    """Tests read their PostgreSQL URL here so no test module touches os.environ."""
    return os.environ.get("TEST_POSTGRES_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def services_required() -> bool:
    """In CI a missing PostgreSQL or Redis must fail the tests, not skip them."""
    return os.environ.get("CASEBRIDGE_REQUIRE_SERVICES") == "1"


def test_redis_url() -> str:
    """Tests read their Redis URL here (database 15 by default, which tests may flush)."""
    return os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"


def child_environment(overrides: dict[str, str]) -> dict[str, str]:
    """The environment for a child process (workers started by tests and benchmarks); a throwaway
    secret key when none is configured, as the app refuses to start without one."""
    env = dict(os.environ)
    env["SECRET_KEY"] = secret_key() or secrets.token_hex(32)
    env["PERSONAL_DATA_KEYS"] = ",".join(personal_data_keys() or [throwaway_personal_data_key()])
    env.update({key: str(value) for key, value in overrides.items()})
    return env
