"""Task lists at 1,000 cases and at 1.1 M: p50/p95 of the work-item API and the queue page.

    python bench/tasklist.py [--small 1000] [--large 1100000] [--rounds 10] [--requests 20]
    python bench/tasklist.py --reuse-large        # the large database is already seeded

Two PostgreSQL databases, seeded by bench/seed_bulk.py with the same mix (10 closed : 1 open):
`bench_tasklist_small` (--small cases, recreated) and --large-url (default `bench_bulk`,
recreated with --large cases unless --reuse-large). Both apps live in this process and the
requests go through Flask's test client (the app and the database, no network), one at a
time: `GET /api/v1/work-items` as the operator (the portal queue) and as an officer of the
agency with the most open items, and the web queue page `/work/` as the operator. The sizes
take turns in rounds of --requests requests per kind, so that a busy moment of the shared
machine weighs on both alike. Prints p50/p95 per kind and size; last line JSON
{"p95_small_ms", "p95_large_ms", "ratio"}: the worst kind's p95 at each size, and the largest
per-kind ratio large/small (target ≤ 1.5).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import seed_bulk  # noqa: E402  (bench/seed_bulk.py)

SMALL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_tasklist_small"
PASSWORD = "bench"


def seed(url: str, cases: int, log) -> None:
    """A fresh database with `cases` cases in the seed's mix (one open in eleven)."""
    from flask_migrate import upgrade
    from datetime import datetime, timezone
    from caseapp.extensions import db
    from caseapp.services.administration.seed import seed_demo
    seed_bulk.recreate_database(url)
    app = seed_bulk.make_app(url)
    with app.app_context():
        upgrade()
        seed_bulk.warm_calendar(datetime.now(timezone.utc))
        seed_demo(PASSWORD)
        db.session.remove()
        open_ = cases // 11
        result = seed_bulk.bulk_seed(cases - open_, open_, log=log)
        log(f"seeded {cases} cases in {result['seconds']['total']:.1f}s")
        db.engine.dispose()


class Target:
    """One database's app, its signed-in clients and what they request."""

    def __init__(self, name: str, url: str):
        from caseapp import create_app
        from caseapp.extensions import db
        from caseapp.models import Agency, WorkItem
        self.name = name
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None,
                               "RATELIMIT_ENABLED": False, "EMBEDDED_SWEEPER": False,
                               "WTF_CSRF_ENABLED": False})
        with self.app.app_context():
            from flask_migrate import upgrade
            upgrade()  # a reused database gets this code's indexes
            code, count = db.session.execute(
                db.select(Agency.code, db.func.count()).join(WorkItem, WorkItem.agency_id == Agency.id)
                .where(WorkItem.state == "open").group_by(Agency.code)
                .order_by(db.func.count().desc())).first()
            self.cases = db.session.scalar(db.select(db.func.count()).select_from(
                db.metadata.tables["case_file"]))
            db.session.remove()
        self.officer = f"officer.{code}"
        api = self.app.test_client()
        tokens = {}
        for username in ("operator", self.officer):
            response = api.post("/api/v1/tokens", json={"username": username,
                                                         "password": PASSWORD})
            assert response.status_code == 201, response.get_json()
            tokens[username] = response.get_json()["token"]
        web = self.app.test_client()
        response = web.post("/login", data={"username": "operator", "password": PASSWORD})
        assert response.status_code in (302, 303), response.status_code
        self.requests = {
            "api operator": (api, "/api/v1/work-items",
                             {"Authorization": f"Bearer {tokens['operator']}"}),
            f"api officer": (api, "/api/v1/work-items",
                             {"Authorization": f"Bearer {tokens[self.officer]}"}),
            "web /work/ operator": (web, "/work/", {}),
        }
        self.times = {kind: [] for kind in self.requests}

    def run(self, count: int) -> None:
        for kind, (client, path, headers) in self.requests.items():
            for _ in range(count):
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, (kind, response.status_code)
                self.times[kind].append(elapsed * 1000)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000, help="cases in the small database")
    parser.add_argument("--large", type=int, default=1_100_000, help="cases in the large one")
    parser.add_argument("--small-url", default=SMALL_URL)
    parser.add_argument("--large-url", default=seed_bulk.DEFAULT_URL)
    parser.add_argument("--reuse-large", action="store_true",
                        help="measure the large database as it is (seeded by seed_bulk.py "
                             f"with --password {PASSWORD})")
    parser.add_argument("--reuse-small", action="store_true",
                        help="measure the small database as it is")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=20, help="per kind and round")
    args = parser.parse_args()
    log = lambda *a, **k: print(*a, flush=True)  # noqa: E731

    if not args.reuse_small:
        seed(args.small_url, args.small, log)
    if not args.reuse_large:
        seed(args.large_url, args.large, log)
    targets = [Target("small", args.small_url), Target("large", args.large_url)]
    for target in targets:
        target.run(3)  # warm caches and connections
        target.times = {kind: [] for kind in target.requests}
    for _ in range(args.rounds):
        for target in targets:
            target.run(args.requests)

    p95 = {}
    for target in targets:
        log(f"{target.name}: {target.cases} cases ({target.officer} for the officer)")
        for kind, values in target.times.items():
            p95[(target.name, kind)] = percentile(values, 0.95)
            log(f"  {kind:22s} p50 {statistics.median(values):7.2f} ms   "
                f"p95 {p95[(target.name, kind)]:7.2f} ms   ({len(values)} requests)")
    kinds = list(targets[0].requests)
    worst_small = max(p95[("small", kind)] for kind in kinds)
    worst_large = max(p95[("large", kind)] for kind in kinds)
    ratio = max(p95[("large", kind)] / p95[("small", kind)] for kind in kinds)
    print(json.dumps({"p95_small_ms": round(worst_small, 2), "p95_large_ms": round(worst_large, 2),
                      "ratio": round(ratio, 2)}))


if __name__ == "__main__":
    main()
