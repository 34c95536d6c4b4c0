"""Shared pieces of the RQ, fault, delivery and recompute tests: a real Redis (test database only),
the app wired to it, report factories, worker subprocesses and bounded polling."""
from __future__ import annotations

import itertools
import os
import socket
import signal
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from caseapp import config as app_config
from tests.conftest import service_unavailable

ROOT = Path(__file__).resolve().parents[2]
_counter = itertools.count(1)


def wait_until(predicate, timeout: float, interval: float = 0.1, message: str = "condition"):
    """Poll a condition for at most `timeout` seconds; the value of the predicate when true."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


@pytest.fixture
def redis_conn():
    """The test Redis database, flushed before and after (never any other database)."""
    from redis import Redis
    conn = Redis.from_url(app_config.test_redis_url(), socket_connect_timeout=2)
    try:
        conn.ping()
    except Exception as exc:
        service_unavailable("Redis", exc)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def rq_app(app, redis_conn):
    """The test app with REDIS_URL set and the RQ listeners registered (as a worker or web process)."""
    from caseapp.services.delivery import hooks
    from timers import scheduling
    app.config["REDIS_URL"] = app_config.test_redis_url()
    app.config["RQ_SWEEP_SECONDS"] = 2
    app.extensions.pop("casebridge_redis", None)
    hooks.clear()
    scheduling.register(app)
    yield app
    hooks.clear()
    conn = app.extensions.pop("casebridge_redis", None)
    if conn is not None:
        conn.close()


def set_phase_seconds(phase: str, seconds: int) -> None:
    """Short SLAs so that real deadlines fall due within a test."""
    from caseapp.services.administration.sla_settings import set_policy
    set_policy(phase, f"PT{seconds}S", f"PT{seconds}S")


def submit(n: int = 1, **extra) -> list:
    from caseapp.extensions import db
    from caseapp.models import Category
    from caseapp.services.cases.submission import submit_report
    category = db.session.scalars(db.select(Category).order_by(Category.id)).first()
    cases = []
    for _ in range(n):
        i = next(_counter)
        data = {"category": category.code,
                "description": f"Cống thoát nước số {i} bị tắc, nước ngập cả đoạn đường",
                "full_name": "Nguyễn Văn A", "phone": "0912345678", "email": "dan@example.com"}
        data.update(extra)
        case, _ = submit_report(data)
        cases.append(case)
    return cases


def counts():
    """(fired deadlines, breaches, notifications, breaches per deadline > 1) from the database."""
    from caseapp.extensions import db
    from caseapp.models import Breach, Deadline, Notification
    db.session.rollback()
    fired = db.session.scalar(db.select(db.func.count()).where(Deadline.state == "fired"))
    pending = db.session.scalar(db.select(db.func.count()).where(Deadline.state == "pending"))
    breaches = db.session.scalar(db.select(db.func.count(Breach.id)))
    notes = db.session.scalar(db.select(db.func.count(Notification.id)))
    doubled = db.session.scalar(db.select(db.func.count()).select_from(
        db.select(Breach.deadline_id).group_by(Breach.deadline_id)
        .having(db.func.count() > 1).subquery()))
    db.session.rollback()
    return {"fired": fired, "pending": pending, "breaches": breaches, "notifications": notes,
            "doubled": doubled}


def wait_until_due(deadlines_or_due, margin: float = 0.05) -> None:
    """Wait (bounded) until every given due time has passed."""
    from caseapp.models import utcnow
    dues = [getattr(d, "due_at", d) for d in deadlines_or_due]
    latest = max(dues)
    wait_until(lambda: utcnow() > latest, timeout=max(1.0, (latest - utcnow()).total_seconds() + 5),
               interval=0.05, message="deadlines to fall due")
    time.sleep(margin)


class WorkerProcesses:
    """`python -m timers.worker` subprocesses; killed (whole process group) at teardown."""

    def __init__(self, app, tmp_path):
        self.app, self.tmp_path, self.procs = app, tmp_path, []

    def start(self, name: str | None = None, *, burst: bool = False, env: dict | None = None,
              redis_url: str | None = None) -> subprocess.Popen:
        name = name or f"w{len(self.procs) + 1}-{os.getpid()}"
        overrides = {"DATABASE_URL": self.app.config["SQLALCHEMY_DATABASE_URI"],
                     "REDIS_URL": redis_url or app_config.test_redis_url(),
                     "RQ_SWEEP_SECONDS": "2", "RQ_MAINTENANCE_SECONDS": "5",
                     "RATELIMIT_ENABLED": "0", "PYTHONUNBUFFERED": "1"}
        overrides.update(env or {})
        log = open(self.tmp_path / f"{name}.log", "w")
        args = [sys.executable, "-m", "timers.worker", "--name", name]
        if burst:
            args.append("--burst")
        proc = subprocess.Popen(args, cwd=ROOT, env=app_config.child_environment(overrides),
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        proc.log_path = self.tmp_path / f"{name}.log"
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
        try:
            os.killpg(proc.pid, sig)  # the worker and its forked RQ scheduler
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def wait(self, proc: subprocess.Popen, timeout: float = 60) -> int:
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"worker did not finish in {timeout}s:\n{self.log(proc)}") from None

    def log(self, proc) -> str:
        try:
            return Path(proc.log_path).read_text()[-4000:]
        except OSError:
            return ""

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc)
            else:
                try:  # a burst worker exits, its scheduler child may not have
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


@pytest.fixture
def workers(app, tmp_path):
    group = WorkerProcesses(app, tmp_path)
    yield group
    group.close()


def rq_worker_registered(conn, count: int = 1) -> bool:
    from rq import Worker
    return len(Worker.all(connection=conn)) >= count


class Sink:
    """An SMTP server on a free port of 127.0.0.1 that keeps what it receives."""

    def __init__(self, port: int | None = None):
        self.port = port or _free_port()
        self.messages = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content,
                                                                    policy=policy.default)))
        return "250 OK"

    def start(self):
        from aiosmtpd.controller import Controller
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
