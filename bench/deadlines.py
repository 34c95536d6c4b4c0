"""N deadlines (default 100,000) due at the same moment, fired by 1 then 2 RQ workers on PostgreSQL.

    python bench/deadlines.py [N] [--workers 1,2] [--database-url URL] [--redis-url URL]

Destructive on its own targets only: it recreates the schema of --database-url (default: the
`bench_deadlines` database on 127.0.0.1, created if missing) and flushes --redis-url (default
Redis database 13). One run per worker count, in order: it submits N reports through the services
(in --setup-procs processes), each with a dispatch deadline at a placeholder moment; sets these N
due at the same moment T (the deadline rows, and the timer's event_value inside each stored
workflow state); gives each its RQ job (as the after-commit hook does, Redis flushed first so no
job of the previous run is left) and starts the workers (`python -m timers.worker`) before T.
Measured per run: seconds from T until all N are fired and committed, each deadline's lag
(fired_at - due_at), how many fired exactly once (one breach, one "deadline passed" event), CPU.
scale_out = seconds with the first worker count / seconds with the last. Last line, JSON (the last
run): {"deadlines", "seconds", "fired_once", "lag_p99_s", "scale_out"}.
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


def arm(database_url: str, due: datetime) -> list[int]:
    """The deadlines still at the placeholder (this run's new reports) all due at `due`, in the
    rows and in the stored workflow states; their ids."""
    from sqlalchemy import text
    from caseapp.extensions import db
    app = _app(database_url, None)
    with app.app_context():
        moment = due.astimezone(timezone.utc).isoformat(timespec="microseconds")
        ids = [row[0] for row in db.session.execute(text(
            "SELECT id FROM deadline WHERE state = 'pending' AND due_at = :old ORDER BY id"),
            {"old": datetime.fromisoformat(PLACEHOLDER)})]
        changed = db.session.execute(text(
            "UPDATE case_file SET workflow_state = replace(workflow_state, :old, :new) "
            "WHERE strpos(workflow_state, :old) > 0"), {"old": PLACEHOLDER, "new": moment}).rowcount
        db.session.execute(text("UPDATE work_item SET due_at = :due WHERE state = 'open' AND "
                                "case_id IN (SELECT case_id FROM deadline WHERE id = ANY(:ids))"),
                           {"due": due, "ids": ids})
        db.session.execute(text("UPDATE deadline SET due_at = :due WHERE id = ANY(:ids)"),
                           {"due": due, "ids": ids})
        db.session.commit()
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


def fired_count(engine, ids: list[int]) -> int:
    from sqlalchemy import text
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM deadline WHERE state = 'fired' "
                                 "AND id = ANY(:ids)"), {"ids": ids}).scalar()


def fired_once(engine, ids: list[int]) -> int:
    """How many of these deadlines fired exactly once: fired, with one breach and one
    "deadline passed" event on their case (a second firing would leave a second of each)."""
    from sqlalchemy import text
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM deadline d WHERE d.id = ANY(:ids) AND d.state = 'fired' "
            "AND (SELECT count(*) FROM breach b WHERE b.deadline_id = d.id) = 1 "
            "AND (SELECT count(*) FROM case_event e WHERE e.case_id = d.case_id "
            "     AND e.kind = 'deadline_passed') = 1"), {"ids": ids}).scalar()


def lags(engine, ids: list[int]) -> list[float]:
    from sqlalchemy import text
    with engine.connect() as conn:
        return [float(row[0]) for row in conn.execute(text(
            "SELECT EXTRACT(EPOCH FROM fired_at - due_at) FROM deadline "
            "WHERE state = 'fired' AND id = ANY(:ids)"), {"ids": ids})]


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


def setup(database_url: str, n: int, procs: int) -> float:
    """n new reports, each with its dispatch deadline at the placeholder; seconds it took."""
    started = time.perf_counter()
    shares = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        created = sum(pool.map(_create_cases, [(database_url, share) for share in shares if share]))
    assert created == n
    return time.perf_counter() - started


def run(args, n: int, workers_count: int) -> dict:
    """Submit n reports, make their deadlines due at once, fire them with `workers_count` RQ
    workers (started before the due moment, stopped after); the run's figures."""
    from redis import Redis
    from sqlalchemy import create_engine
    from caseapp import config as app_config

    seconds = setup(args.database_url, n, max(1, args.setup_procs))
    print(f"\n== {workers_count} worker(s): {n} reports submitted in {seconds:.1f}s "
          f"({args.setup_procs} processes); load average {os.getloadavg()[0]:.2f}", flush=True)
    Redis.from_url(args.redis_url).flushdb()  # the last run's leftover jobs are not this run's
    lead = args.lead + n / 500  # scheduling the jobs takes about 1 ms each
    due = datetime.now(timezone.utc) + timedelta(seconds=lead)
    ids = arm(args.database_url, due)
    assert len(ids) == n, f"expected {n} pending deadlines, found {len(ids)}"
    schedule_jobs(args.database_url, args.redis_url, ids)
    print(f"{n} deadlines due at {due.isoformat()}, RQ jobs scheduled", flush=True)

    env = app_config.child_environment({"DATABASE_URL": args.database_url,
                                        "REDIS_URL": args.redis_url, "RATELIMIT_ENABLED": "0"})
    logs = [open(f"/tmp/bench-deadlines-worker-{i}.log", "w") for i in range(workers_count)]
    workers = [subprocess.Popen([sys.executable, "-m", "timers.worker", "--name", f"bench-{i}"],
                                cwd=ROOT, env=env, stdout=logs[i], stderr=subprocess.STDOUT,
                                start_new_session=True) for i in range(workers_count)]
    engine = create_engine(args.database_url)
    try:
        if datetime.now(timezone.utc) >= due:
            print("warning: the due moment passed before the workers started; raise --lead",
                  flush=True)
        finished = None
        limit = time.monotonic() + lead + args.timeout
        while time.monotonic() < limit:
            if fired_count(engine, ids) >= n:
                finished = datetime.now(timezone.utc)
                break
            time.sleep(0.2)
        if finished is None:
            raise SystemExit(f"not all fired within {args.timeout}s: {fired_count(engine, ids)}/{n}")
        all_fired = (finished - due).total_seconds()
        cpu = cpu_report(engine, [proc.pid for proc in workers])
    finally:
        for proc in workers:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)
    values = lags(engine, ids)
    once = fired_once(engine, ids)
    engine.dispose()
    figures = {"workers": workers_count, "seconds": round(all_fired, 2), "fired_once": once,
               "lag_p50_s": round(statistics.median(values), 2),
               "lag_p99_s": round(percentile(values, 0.99), 2),
               "per_second": round(n / all_fired, 1)}
    print(cpu, flush=True)
    print(f"all {n} fired {all_fired:.2f}s after their due moment ({n / all_fired:.1f}/s), "
          f"fired exactly once: {once}; lag p50 {figures['lag_p50_s']:.2f}s, p99 "
          f"{figures['lag_p99_s']:.2f}s, max {max(values):.2f}s "
          "(worker logs: /tmp/bench-deadlines-worker-*.log)", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("deadlines", type=int, nargs="?", default=100_000)
    parser.add_argument("--workers", default="1,2",
                        help="worker counts, one run each in this order (default 1,2)")
    parser.add_argument("--setup-procs", type=int, default=2)
    parser.add_argument("--lead", type=float, default=15.0,
                        help="seconds between arming the deadlines and their due moment "
                             "(plus 2 s per 1,000 deadlines, to schedule their jobs)")
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--database-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_deadlines")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("the benchmark needs PostgreSQL (row locks between worker processes)")
    counts = [int(part) for part in args.workers.split(",") if part.strip()]
    n = args.deadlines
    ensure_database(args.database_url)
    prepare(args.database_url)
    runs = [run(args, n, count) for count in counts]
    print(f"\n{'workers':>8}{'seconds':>10}{'per s':>9}{'fired once':>12}{'lag p50 s':>11}"
          f"{'lag p99 s':>11}")
    for figures in runs:
        print(f"{figures['workers']:>8}{figures['seconds']:>10.1f}{figures['per_second']:>9.1f}"
              f"{figures['fired_once']:>12}{figures['lag_p50_s']:>11.2f}{figures['lag_p99_s']:>11.2f}")
    last = runs[-1]
    scale_out = round(runs[0]["seconds"] / last["seconds"], 2) if len(runs) > 1 else None
    if scale_out is not None:
        print(f"scale-out ({runs[0]['workers']} → {last['workers']} workers): {scale_out}x")
    print(json.dumps({"deadlines": n, "seconds": last["seconds"], "fired_once": last["fired_once"],
                      "lag_p99_s": last["lag_p99_s"], "scale_out": scale_out}))


if __name__ == "__main__":
    main()
