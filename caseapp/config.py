"""Configuration: the only module that reads os.environ."""
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
SECRET_KEY_FILE = INSTANCE_DIR / "secret_key"  # a local installation's random key (`make run`)

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
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE") == "1",
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
    env.update({key: str(value) for key, value in overrides.items()})
    return env
