"""N deadlines (default 10,000) due at the same moment, fired by RQ worker processes on PostgreSQL.

    python bench/deadlines.py [N] [--workers 2] [--database-url URL] [--redis-url URL]

Destructive on its own targets only: it recreates the schema of --database-url (default: the
`bench_deadlines` database on 127.0.0.1, created if missing) and flushes --redis-url (default
Redis database 13). Setup submits N reports through the services (in --setup-procs processes),
each with a dispatch deadline at a placeholder moment; it then sets all of them due at the same
moment T (the deadline rows, and the timer's event_value inside each stored workflow state), gives
each its RQ job (as the after-commit hook does), and starts the workers (`python -m timers.worker`).
Measured: seconds from T until every deadline is fired and committed, and each deadline's lag
(fired_at - due_at). Last line, JSON: {"deadlines", "workers", "all_fired_s", "lag_p50_s", "lag_p99_s"}.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PLACEHOLDER = "2099-12-31T23:59:59.123456+00:00"  # the engine stores due times in UTC
REPORT = {"full_name": "Trần Thị Bình", "phone": "0912345678", "category": "disaster",
          "description": "Cây đổ chắn ngang đường sau bão, cần xử lý gấp", "address": "Năm Căn"}


def _app(database_url: str, redis_url: str | None):
    from caseapp import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url,
                       "RATELIMIT_ENABLED": False, "EMBEDDED_SWEEPER": False})


def ensure_database(database_url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": url.database}).scalar():
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def prepare(database_url: str) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import text
    from caseapp.extensions import db
    from caseapp.services.administration.seed import seed_demo
    app = _app(database_url, None)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        seed_demo("bench")
        db.session.remove()
        db.engine.dispose()


def _create_cases(args) -> int:
    """A setup process: submit `count` reports whose dispatch deadline is the placeholder."""
    database_url, count = args
    from caseapp.extensions import db
    from caseapp.services.cases.submission import submit_report
    from caseapp.services.administration.sla_settings import DueCalculator

    # this process only: every SLA due at the placeholder, wherever a calculator is made
    DueCalculator.__call__ = lambda self, phase, start=None: PLACEHOLDER
    app = _app(database_url, None)
    with app.app_context():
        for _ in range(count):
            submit_report(dict(REPORT))
        db.session.remove()
        db.engine.dispose()
    return count


def set_all_due(database_url: str, due: datetime) -> list[int]:
    """All pending deadlines due at `due`, in the rows and in the stored workflow states."""
    from sqlalchemy import text
    from caseapp.extensions import db
    app = _app(database_url, None)
    with app.app_context():
        moment = due.astimezone(timezone.utc).isoformat(timespec="microseconds")
        changed = db.session.execute(text(
            "UPDATE case_file SET workflow_state = replace(workflow_state, :old, :new) "
            "WHERE strpos(workflow_state, :old) > 0"), {"old": PLACEHOLDER, "new": moment}).rowcount
        db.session.execute(text("UPDATE deadline SET due_at = :due WHERE state = 'pending'"),
                           {"due": due})
        db.session.execute(text("UPDATE work_item SET due_at = :due WHERE state = 'open'"),
                           {"due": due})
        db.session.commit()
        ids = [row[0] for row in db.session.execute(text(
            "SELECT id FROM deadline WHERE state = 'pending' ORDER BY id"))]
        if changed != len(ids):
            raise SystemExit(f"{changed} workflow states hold the placeholder, {len(ids)} deadlines")
        db.session.execute(text("ANALYZE"))  # planner statistics, as a live database has them
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return ids


def schedule_jobs(database_url: str, redis_url: str, ids: list[int]) -> None:
    """What the after-commit hook does for each new deadline row."""
    from caseapp.extensions import db
    from timers import scheduling
    app = _app(database_url, redis_url)
    with app.app_context():
        for start in range(0, len(ids), 1000):
            scheduling.schedule_deadline_ids(ids[start:start + 1000])
        db.session.remove()
        db.engine.dispose()


def fired_count(engine) -> int:
    from sqlalchemy import text
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM deadline WHERE state = 'fired'")).scalar()


def lags(engine) -> list[float]:
    from sqlalchemy import text
    with engine.connect() as conn:
        return [float(row[0]) for row in conn.execute(text(
            "SELECT EXTRACT(EPOCH FROM fired_at - due_at) FROM deadline WHERE state = 'fired'"))]


def _cpu_seconds(select) -> float:
    """utime + stime of the local processes `select(pid, pgrp)` accepts (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if select(int(entry.name), int(fields[2])):
            total += int(fields[11]) + int(fields[12])
    return total / tick


def cpu_report(engine, worker_pids: list[int]) -> str:
    """Where the CPU went: the worker process groups (with RQ's scheduler) and the database."""
    from sqlalchemy import text
    with engine.connect() as conn:
        backends = {row[0] for row in conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"))}
    groups = set(worker_pids)
    workers = _cpu_seconds(lambda pid, pgrp: pgrp in groups)
    database = _cpu_seconds(lambda pid, pgrp: pid in backends)
    return (f"cpu: workers {workers:.1f}s, their PostgreSQL backends {database:.1f}s "
            f"(from start-up to the end); load average {os.getloadavg()[0]:.2f} on "
            f"{os.cpu_count()} CPUs")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("deadlines", type=int, nargs="?", default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--setup-procs", type=int, default=2)
    parser.add_argument("--lead", type=float, default=12.0,
                        help="seconds between scheduling the jobs and the common due moment")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--database-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_deadlines")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("the benchmark needs PostgreSQL (row locks between worker processes)")
    from redis import Redis
    from sqlalchemy import create_engine
    from caseapp import config as app_config

    n = args.deadlines
    ensure_database(args.database_url)
    Redis.from_url(args.redis_url).flushdb()
    started = time.perf_counter()
    prepare(args.database_url)
    procs = max(1, args.setup_procs)
    shares = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        created = sum(pool.map(_create_cases, [(args.database_url, share) for share in shares]))
    print(f"setup: {created} reports submitted in {time.perf_counter() - started:.1f}s "
          f"({procs} processes)", flush=True)

    print(f"load average before firing: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    due = datetime.now(timezone.utc) + timedelta(seconds=args.lead)
    ids = set_all_due(args.database_url, due)
    assert len(ids) == n, f"expected {n} pending deadlines, found {len(ids)}"
    schedule_jobs(args.database_url, args.redis_url, ids)
    print(f"{n} deadlines due at {due.isoformat()}, RQ jobs scheduled", flush=True)

    env = app_config.child_environment({"DATABASE_URL": args.database_url,
                                        "REDIS_URL": args.redis_url, "RATELIMIT_ENABLED": "0"})
    logs = [open(f"/tmp/bench-deadlines-worker-{i}.log", "w") for i in range(args.workers)]
    workers = [subprocess.Popen([sys.executable, "-m", "timers.worker", "--name", f"bench-{i}"],
                                cwd=ROOT, env=env, stdout=logs[i], stderr=subprocess.STDOUT,
                                start_new_session=True) for i in range(args.workers)]
    engine = create_engine(args.database_url)
    try:
        if datetime.now(timezone.utc) >= due:
            print("warning: the due moment passed before the workers started; raise --lead",
                  flush=True)
        finished = None
        limit = time.monotonic() + args.timeout
        while time.monotonic() < limit:
            if fired_count(engine) >= n:
                finished = datetime.now(timezone.utc)
                break
            time.sleep(0.1)
        if finished is None:
            raise SystemExit(f"not all fired within {args.timeout}s: {fired_count(engine)}/{n}")
        all_fired = (finished - due).total_seconds()
        values = lags(engine)
        cpu = cpu_report(engine, [proc.pid for proc in workers])
    finally:
        for proc in workers:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)
        engine.dispose()
    print(cpu, flush=True)
    print(f"all {n} fired {all_fired:.2f}s after their due moment; lag p50 "
          f"{statistics.median(values):.2f}s, p99 {percentile(values, 0.99):.2f}s, "
          f"max {max(values):.2f}s (worker logs: /tmp/bench-deadlines-worker-*.log)", flush=True)
    print(json.dumps({"deadlines": n, "workers": args.workers, "all_fired_s": round(all_fired, 3),
                      "lag_p50_s": round(statistics.median(values), 3),
                      "lag_p99_s": round(percentile(values, 0.99), 3)}))


if __name__ == "__main__":
    main()
