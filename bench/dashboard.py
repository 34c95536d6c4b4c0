"""How long the leaders' dashboard takes at scale: each figure, the whole dashboard for two
periods, for the province and for one agency, and `GET /api/v1/stats` — with the daily rollup
(what the app does) and, for comparison, with everything read live (what it did before the
rollup: the same figures, no rollup rows).

    python bench/dashboard.py --seed --closed 1000000 --open 100000   # seed with seed_bulk.py, then time
    python bench/dashboard.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_bulk
    python bench/dashboard.py --no-live                                # skip the slow live-only runs
    python bench/dashboard.py --database-url sqlite:///instance/bench.db --seed --closed 20000 --open 2000

Seeding is bench/seed_bulk.py's (real cases run through the services, cloned with COPY, the
rollup filled at the end; it recreates the target database: by default its own
`bench_dashboard` PostgreSQL database). The rollup is caught up first (timed: normally nothing
to do). Each measurement is the median of --repeat runs after one warm-up run; the periods are
the default one (this month) and the last 365 days. Prints one line per figure and, last, JSON:
{"cases", "rollup_days", "dashboard_ms", "dashboard_year_ms", "agency_dashboard_ms",
 "agency_year_ms", "api_stats_ms", "live_dashboard_ms", "live_dashboard_year_ms", "figures_ms"}.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_dashboard"
FIGURES = ("case_counts", "open_now", "overdue_now", "on_time", "returns", "bounces", "durations",
           "urgent_open_cases", "worst_open")


def timed(function, repeat: int) -> float:
    """Median milliseconds of `repeat` calls after one warm-up call."""
    function()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(runs), 1)


def seed(url: str, closed: int, open_: int) -> None:
    subprocess.run([sys.executable, str(ROOT / "bench" / "seed_bulk.py"), "--closed", str(closed),
                    "--open", str(open_), "--database-url", url, "--check", "0"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seed", action="store_true", help="(re)create and seed the database first")
    parser.add_argument("--closed", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-live", action="store_true",
                        help="skip the live-only comparison (seconds per run at a million cases)")
    parser.add_argument("--vacuum", action="store_true",
                        help="VACUUM (ANALYZE) the tables the dashboard reads first, as autovacuum "
                             "would have (index-only scans need the visibility map)")
    parser.add_argument("--password", default="bench", help="of the demo accounts (seed_bulk's)")
    args = parser.parse_args()
    if args.seed:
        seed(args.database_url, args.closed, args.open)

    from caseapp import create_app
    from caseapp.extensions import db
    from caseapp.models import Case, User, utcnow
    from caseapp.services.figures import (assignments, case_counts, duties, durations, rollup,
                                          stats)
    from caseapp.services.figures.filters import local_midnight, local_today, parse_filters
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "REDIS_URL": None,
                      "RATELIMIT_ENABLED": False, "EMBEDDED_SWEEPER": False,
                      "SECRET_KEY": "bench-dashboard"})
    result: dict = {}
    with app.app_context():
        if db.session.get_bind().dialect.name == "postgresql":
            if args.vacuum:
                started = time.perf_counter()
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(db.text("VACUUM (ANALYZE) case_file, case_assignment, work_item, "
                                         "daily_cases, daily_duties, daily_assignments, "
                                         "daily_bounces, daily_durations"))
                print(f"VACUUM (ANALYZE): {time.perf_counter() - started:.0f} s")
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        cases = db.session.scalar(db.select(db.func.count(Case.id)))
        started = time.perf_counter()
        result["rollup_days"] = rollup.catch_up(intraday=True)  # as the periodic job keeps it
        split = rollup.current_split()
        print(f"rollup caught up: {result['rollup_days']} new days in "
              f"{(time.perf_counter() - started) * 1000:.0f} ms; rolled through {split.rolled_through}")
        monitor = db.session.scalars(db.select(User).where(User.username == "monitor")).one()
        leader = db.session.scalars(db.select(User).where(User.username == "leader.police")).one()
        now = utcnow()
        month = parse_filters(monitor, {}, now)
        today = month.last_day
        last_year = {"from": (today - timedelta(days=364)).isoformat(), "to": today.isoformat()}
        year = parse_filters(monitor, last_year, now)
        police = parse_filters(leader, {}, now)
        police_year = parse_filters(leader, last_year, now)
        print(f"cases: {cases:,}  period: {month.first_day} .. {month.last_day}  ({db.engine.url.get_backend_name()})")
        calls = {
            "case_counts": lambda f: case_counts.case_figures(f, now, split),
            "open_now": stats.open_now, "overdue_now": lambda f: stats.overdue_now(f, now),
            "on_time": lambda f: duties.on_time(f, now, split),
            "returns": lambda f: assignments.returns(f, split),
            "bounces": lambda f: assignments.bounces(f, split),
            "durations": lambda f: durations.durations(f, split),
            "urgent_open_cases": stats.urgent_open_cases,
            "worst_open": lambda f: stats.worst_open(f, now)}
        per_figure = {}
        for name in FIGURES:
            month_ms = timed(lambda: calls[name](month), args.repeat)
            year_ms = timed(lambda: calls[name](year), args.repeat)
            db.session.rollback()
            per_figure[name] = {"month": month_ms, "year": year_ms}
            print(f"  {name:18s} this month {month_ms:8.1f} ms   last 365 days {year_ms:8.1f} ms")
        def whole(moment, prefix=""):  # noqa: the four whole-dashboard measurements
            def scoped(user, extra):
                return parse_filters(user, extra, moment)
            last = {"from": (local_today(moment) - timedelta(days=364)).isoformat(),
                    "to": local_today(moment).isoformat()}
            for key, label, f in (("dashboard_ms", "this month, province", scoped(monitor, {})),
                                  ("dashboard_year_ms", "last 365 days, province", scoped(monitor, last)),
                                  ("agency_dashboard_ms", "this month, police", scoped(leader, {})),
                                  ("agency_year_ms", "last 365 days, police", scoped(leader, last))):
                result[prefix + key] = timed(lambda: stats.dashboard_figures(f, moment), args.repeat)
                print(f"{prefix}whole dashboard, {label:26s} {result[prefix + key]:8.1f} ms")

        whole(now)
        if not args.no_live:
            nothing = rollup.Split(None)  # every figure live: the dashboard before the rollup
            for key, label, f in (("live_dashboard_ms", "this month", month),
                                  ("live_dashboard_year_ms", "last 365 days", year)):
                result[key] = timed(lambda: stats.all_figures(f, now, nothing), max(1, args.repeat // 2))
                print(f"live only (no rollup), {label:20s} {result[key]:8.1f} ms")
        db.session.remove()

        client = app.test_client()
        token = client.post("/api/v1/tokens", json={"username": "monitor",
                                                    "password": args.password}).get_json()
        headers = {"Authorization": f"Bearer {token['token']}"} if token and "token" in token else None
        if headers:
            def api_call():
                response = client.get("/api/v1/stats", headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)[:300]
            result["api_stats_ms"] = timed(api_call, args.repeat)
            print(f"GET /api/v1/stats (HTTP in-process)      {result['api_stats_ms']:8.1f} ms")
        else:
            result["api_stats_ms"] = None
            print("GET /api/v1/stats: could not sign in as monitor (wrong --password?)")
        db.engine.dispose()
    print(json.dumps({"cases": cases, **result, "figures_ms": per_figure}))


if __name__ == "__main__":
    main()
