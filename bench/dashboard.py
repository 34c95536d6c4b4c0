"""How long the leaders' dashboard takes at scale: each figure's query, the whole dashboard, and
`GET /api/v1/stats`, for the province and for one agency.

    python bench/dashboard.py --seed --closed 1000000 --open 100000   # seed with seed_bulk.py, then time
    python bench/dashboard.py                                          # time an existing bulk database
    python bench/dashboard.py --database-url sqlite:///instance/bench.db --seed --closed 20000 --open 2000

Seeding is bench/seed_bulk.py's (real cases run through the services, cloned with COPY; it
recreates the target database: by default its own `bench_dashboard` PostgreSQL database). Each
measurement is the median of --repeat runs after one warm-up run; the periods are the default
one (this month) and the last 365 days. Prints one line per figure and, last, JSON:
{"cases", "dashboard_ms", "dashboard_year_ms", "agency_dashboard_ms", "api_stats_ms", "figures_ms"}.
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
FIGURES = ("received", "open_now", "overdue_now", "on_time", "returns", "bounces", "durations",
           "by_category", "by_district", "trend", "urgent", "worst_open")


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
    parser.add_argument("--password", default="bench", help="of the demo accounts (seed_bulk's)")
    args = parser.parse_args()
    if args.seed:
        seed(args.database_url, args.closed, args.open)

    from caseapp import create_app
    from caseapp.extensions import db
    from caseapp.models import Case, User, utcnow
    from caseapp.services.figures import stats
    from caseapp.services.figures.filters import parse_filters
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "REDIS_URL": None,
                      "RATELIMIT_ENABLED": False, "EMBEDDED_SWEEPER": False,
                      "SECRET_KEY": "bench-dashboard"})
    result: dict = {}
    with app.app_context():
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        cases = db.session.scalar(db.select(db.func.count(Case.id)))
        monitor = db.session.scalars(db.select(User).where(User.username == "monitor")).one()
        leader = db.session.scalars(db.select(User).where(User.username == "leader.police")).one()
        now = utcnow()
        month = parse_filters(monitor, {}, now)
        today = month.last_day
        year = parse_filters(monitor, {"from": (today - timedelta(days=364)).isoformat(),
                                       "to": today.isoformat()}, now)
        police = parse_filters(leader, {}, now)
        print(f"cases: {cases:,}  period: {month.first_day} .. {month.last_day}  ({db.engine.url.get_backend_name()})")
        per_figure = {}
        for name in FIGURES:
            function = getattr(stats, name)
            if name in ("received", "overdue_now", "on_time", "worst_open"):
                def call(function=function, f=month):
                    return function(f, now)
            else:
                def call(function=function, f=month):
                    return function(f)
            per_figure[name] = timed(call, args.repeat)
            db.session.rollback()
            print(f"  {name:14s} {per_figure[name]:8.1f} ms")
        result["dashboard_ms"] = timed(lambda: stats.all_figures(month, now), args.repeat)
        print(f"whole dashboard, this month, province   {result['dashboard_ms']:8.1f} ms")
        result["dashboard_year_ms"] = timed(lambda: stats.all_figures(year, now), args.repeat)
        print(f"whole dashboard, last 365 days, province {result['dashboard_year_ms']:8.1f} ms")
        result["agency_dashboard_ms"] = timed(lambda: stats.all_figures(police, now), args.repeat)
        print(f"whole dashboard, this month, police      {result['agency_dashboard_ms']:8.1f} ms")
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
