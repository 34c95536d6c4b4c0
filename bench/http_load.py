"""HTTP under load: gunicorn (2 workers) on PostgreSQL with Redis and an RQ worker, a mixed load.

    python bench/http_load.py [--seconds 60] [--clients 12] [--cases N] [--port 5077]

Destructive on its own targets only: it recreates the database of --database-url (default
`bench_http` on 127.0.0.1; with --cases N, bench/seed_bulk.py recreates it with N cases, one open
in eleven) and flushes --redis-url (default Redis database 12). It migrates the database, seeds
the demo logins (`seed-demo --password bench --no-cases`), then starts gunicorn (2 workers) and
one RQ worker (`python -m timers.worker`) as subprocesses, with rate limits off.

The load comes from separate client processes (`requests`), each a loop of: submit a report
(POST /api/v1/reports), look up a tracking code (GET /api/v1/reports/<code>), open a case
(GET /api/v1/cases/<code> as the operator), the operator's queue (GET /api/v1/work-items),
complete up to two of its items (dispatch to --agency, or publish), the officer's queue of that
agency and complete one of its items (resolve), the web queue /work/ (a signed-in session), and
the dashboard (GET /api/v1/stats as the monitor). Items are taken from the queue pages; client k
of n completes only items whose id hashes to k, so no two clients complete the same item. Each
round ends with GET /healthz (one SELECT 1, one Redis PING): the floor any request pays here.

Two phases of --seconds each: light load (one client, one request at a time), then saturation
(--clients concurrent clients). Per request type: count, throughput, p50/p95/p99 ms, errors
(any non-2xx except a 409 on a completion); peak RSS of the gunicorn workers and of the RQ
worker. Last two lines, JSON: saturation, then light load
{"cases", "complete_p50_ms", "submit_p50_ms", "queue_p50_ms", "errors"} (queue: the API's
work-item list, operator and officer).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PASSWORD = "bench"
REPORT = {"full_name": "Trần Thị Bình", "phone": "0912345678", "category": "disaster",
          "description": "Cây đổ chắn ngang đường sau bão, cần xử lý gấp", "address": "Năm Căn"}
KINDS = ["submit", "track", "case", "queue_operator", "queue_officer", "queue_web", "complete",
         "  dispatch", "  handle", "  publish", "stats", "healthz"]  # the completions also by step
# healthz (one SELECT 1 and one Redis PING) is the floor: what any request costs here before the
# app does its own work (gunicorn, the client, the network stack, a busy 2-core machine)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# -- the client (a separate process) --------------------------------------------------------------

class Client:
    """One bounded client: one request at a time, its latencies and errors per request type."""

    def __init__(self, base: str, tokens: dict, agency: str, index: int, count: int):
        import requests
        self.base, self.agency, self.index, self.count = base, agency, index, count
        self.api = requests.Session()
        self.web = requests.Session()
        self.auth = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
        self.times = {kind: [] for kind in KINDS}
        self.errors = {kind: 0 for kind in KINDS}
        self.conflicts = 0
        self.samples: list[str] = []
        self.codes: list[str] = []
        self.rng = random.Random(index)
        page = self.web.get(f"{base}/login")
        token = CSRF.search(page.text)
        response = self.web.post(f"{base}/login", data={
            "username": "operator", "password": PASSWORD,
            "csrf_token": token.group(1) if token else ""}, allow_redirects=False)
        if response.status_code not in (302, 303):
            raise RuntimeError(f"web login failed: {response.status_code}")

    def call(self, kind: str, method: str, path: str, session=None, headers=None, json_body=None,
             conflict_ok: bool = False, step: str | None = None):
        session = session or self.api
        started = time.perf_counter()
        try:
            response = session.request(method, self.base + path, headers=headers, json=json_body,
                                       allow_redirects=False, timeout=60)
        except Exception as exc:  # a refused or dropped connection is an error of its kind
            self.errors[kind] += 1
            self._sample(f"{kind} {method} {path}: {exc!r}")
            return None
        self.times[kind].append((time.perf_counter() - started) * 1000)
        if step:
            self.times[step].append(self.times[kind][-1])
        if 200 <= response.status_code < 300:
            return response
        if conflict_ok and response.status_code == 409:
            self.conflicts += 1
            return None
        self.errors[kind] += 1
        self._sample(f"{kind} {method} {path}: {response.status_code} {response.text[:200]}")
        return None

    def _sample(self, text: str) -> None:
        if len(self.samples) < 5:
            self.samples.append(text)

    def mine(self, items: list[dict]) -> list[dict]:
        """This client's share of a queue page: no two clients complete the same item."""
        return [item for item in items
                if zlib.crc32(str(item["id"]).encode()) % self.count == self.index]

    def complete(self, user: str, item: dict) -> None:
        step = f"{item.get('form') or ''} {item.get('task') or ''}".lower()
        if "publish" in step:
            step, data = "  publish", {"public_response": "Đường đã được thông, cảm ơn bạn."}
        elif "dispatch" in step:
            step, data = "  dispatch", {"action": "dispatch", "agency": self.agency,
                                        "urgent": False}
        else:  # handle (also after a return)
            step, data = "  handle", {"action": "resolve", "result": "Đã dọn cây đổ, thông đường."}
        self.call("complete", "POST", f"/api/v1/work-items/{item['id']}/complete",
                  headers=self.auth[user], json_body=data, conflict_ok=True, step=step)

    def round(self) -> None:
        response = self.call("submit", "POST", "/api/v1/reports", json_body=dict(REPORT))
        if response is not None:
            self.codes.append(response.json()["tracking_code"])
        if self.codes:
            code = self.rng.choice(self.codes[-200:])
            self.call("track", "GET", f"/api/v1/reports/{code}")
            self.call("case", "GET", f"/api/v1/cases/{code}", headers=self.auth["operator"])
        response = self.call("queue_operator", "GET", "/api/v1/work-items",
                             headers=self.auth["operator"])
        if response is not None:
            for item in self.mine(response.json()["items"])[:2]:
                self.complete("operator", item)
        response = self.call("queue_officer", "GET", "/api/v1/work-items",
                             headers=self.auth["officer"])
        if response is not None:
            for item in self.mine(response.json()["items"])[:1]:
                self.complete("officer", item)
        self.call("queue_web", "GET", "/work/", session=self.web)
        self.call("stats", "GET", "/api/v1/stats", headers=self.auth["monitor"])
        self.call("healthz", "GET", "/healthz")

    def run(self, until: float) -> dict:
        while time.time() < until:
            self.round()
        return {"times": self.times, "errors": self.errors, "conflicts": self.conflicts,
                "samples": self.samples}


def run_client(args) -> dict:
    """A client process: start together, stop at the same wall-clock moment."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops everything
    base, tokens, agency, index, count, start_at, until = args
    client = Client(base, tokens, agency, index, count)
    time.sleep(max(0.0, start_at - time.time()))
    return client.run(until)


# -- servers ----------------------------------------------------------------------------------------

def recreate(database_url: str, cases: int, env: dict, log) -> None:
    """A fresh database (seed_bulk.py's when --cases), migrated, with the demo logins."""
    if cases:
        open_ = cases // 11
        log(f"pre-seeding {cases} cases with bench/seed_bulk.py …")
        subprocess.run([sys.executable, str(ROOT / "bench" / "seed_bulk.py"),
                        "--closed", str(cases - open_), "--open", str(open_),
                        "--database-url", database_url, "--password", PASSWORD],
                       cwd=ROOT, env=env, check=True)
    else:
        import seed_bulk  # bench/seed_bulk.py: DROP … WITH (FORCE), CREATE
        seed_bulk.recreate_database(database_url)
    flask = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade"], ["seed-demo", "--password", PASSWORD, "--no-cases"]):
        done = subprocess.run(flask + command, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"flask {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def case_count(database_url: str) -> int:
    from sqlalchemy import create_engine, text
    engine = create_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM case_file")).scalar()
    engine.dispose()
    return count


def start(command: list[str], env: dict, log_path: str) -> subprocess.Popen:
    log_file = open(log_path, "w")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM each process group we started, SIGKILL what is still there after 15 s."""
    for proc in processes:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for proc in processes:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


def wait_ready(base: str, server: subprocess.Popen, timeout: float = 60) -> None:
    import requests
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited; see /tmp/bench-http-gunicorn.log")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn not ready after {timeout}s")


def tokens_for(base: str, officer: str) -> dict:
    import requests
    tokens = {}
    for name, username in (("operator", "operator"), ("officer", officer), ("monitor", "monitor")):
        response = requests.post(f"{base}/api/v1/tokens", json={"username": username,
                                                                 "password": PASSWORD}, timeout=30)
        response.raise_for_status()
        tokens[name] = response.json()["token"]
    return tokens


# -- memory ---------------------------------------------------------------------------------------

def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Peak RSS (sampled every 0.25 s) per gunicorn worker and of the RQ worker process."""

    def __init__(self, gunicorn: int, worker: int):
        super().__init__(daemon=True)
        self.gunicorn, self.worker = gunicorn, worker
        self.peak = {"gunicorn worker": 0, "rq worker": 0, "rq scheduler": 0}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for pid in children(self.gunicorn):
                self.peak["gunicorn worker"] = max(self.peak["gunicorn worker"],
                                                   status_kb(pid, "VmRSS"))
            self.peak["rq worker"] = max(self.peak["rq worker"], status_kb(self.worker, "VmRSS"))
            for pid in children(self.worker):  # RQ's scheduler runs in a forked child
                self.peak["rq scheduler"] = max(self.peak["rq scheduler"], status_kb(pid, "VmRSS"))
            self.done.wait(0.25)

    def stop(self) -> dict:
        self.done.set()
        self.join()
        return self.peak


# -- figures --------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


def merge(results: list[dict]) -> dict:
    merged = {"times": {kind: [] for kind in KINDS}, "errors": {kind: 0 for kind in KINDS},
              "conflicts": 0, "samples": []}
    for result in results:
        for kind in KINDS:
            merged["times"][kind] += result["times"][kind]
            merged["errors"][kind] += result["errors"][kind]
        merged["conflicts"] += result["conflicts"]
        merged["samples"] += result["samples"]
    return merged


def p50(values: list[float]) -> float | None:
    return round(percentile(values, 0.5), 2) if values else None


def report(name: str, clients: int, seconds: float, merged: dict, memory: dict, cases: int,
           load: float) -> dict:
    print(f"\n== {name}: {clients} client(s), {seconds:.0f} s, {cases} cases at the start, "
          f"load average {load:.2f} on {os.cpu_count()} CPUs", flush=True)
    print(f"{'request':<16}{'count':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'errors':>8}")
    total_count = 0
    for kind in KINDS:
        values = merged["times"][kind]
        by_step = kind.startswith(" ")  # a share of "complete": counted and errored there
        total_count += 0 if by_step else len(values)
        errors = "" if by_step else merged["errors"][kind]
        if values:
            print(f"{kind:<16}{len(values):>8}{len(values) / seconds:>9.1f}"
                  f"{percentile(values, 0.5):>9.1f}{percentile(values, 0.95):>9.1f}"
                  f"{percentile(values, 0.99):>9.1f}{errors:>8}")
        else:
            print(f"{kind:<16}{0:>8}{'-':>9}{'-':>9}{'-':>9}{'-':>9}{errors:>8}")
    errors = sum(merged["errors"].values())
    print(f"{'all':<16}{total_count:>8}{total_count / seconds:>9.1f}{'':>27}{errors:>8}")
    print(f"409 on a raced completion (expected, not errors): {merged['conflicts']}")
    for sample in merged["samples"][:10]:
        print(f"  error: {sample}")
    print("peak RSS during the phase: " + ", ".join(
        f"{name} {kb / 1024:.0f} MB" for name, kb in memory.items()), flush=True)
    queue = merged["times"]["queue_operator"] + merged["times"]["queue_officer"]
    return {"cases": cases, "complete_p50_ms": p50(merged["times"]["complete"]),
            "submit_p50_ms": p50(merged["times"]["submit"]), "queue_p50_ms": p50(queue),
            "errors": errors}


def phase(pool_size: int, base: str, tokens: dict, agency: str, seconds: float,
          gunicorn: subprocess.Popen, worker: subprocess.Popen) -> tuple[dict, dict]:
    start_at = time.time() + 2 + 0.25 * pool_size  # for the clients to start and sign in
    until = start_at + seconds
    sampler = MemorySampler(gunicorn.pid, worker.pid)
    sampler.start()
    try:
        with multiprocessing.get_context("spawn").Pool(pool_size) as pool:
            results = pool.map(run_client, [(base, tokens, agency, i, pool_size, start_at, until)
                                            for i in range(pool_size)])
    finally:
        memory = sampler.stop()
    return merge(results), memory


def interrupted(signum, frame) -> None:
    """SIGTERM and SIGINT unwind as Ctrl-C, through the `finally` that stops the servers."""
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="of each phase")
    parser.add_argument("--clients", type=int, default=12, help="concurrent clients at saturation")
    parser.add_argument("--cases", type=int, default=0,
                        help="pre-seed this many cases with bench/seed_bulk.py (default none)")
    parser.add_argument("--agency", default="transport", help="where the operator dispatches")
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--database-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_http")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("the benchmark runs on PostgreSQL")
    from redis import Redis
    from caseapp import config as app_config

    def log(text: str) -> None:
        print(text, flush=True)

    # Ctrl-C and SIGTERM both unwind through the finally below, which stops the servers
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)  # also when started in the background
    env = app_config.child_environment({
        "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
        "RATELIMIT_ENABLED": "0", "SESSION_COOKIE_SECURE": "0"})
    base = f"http://127.0.0.1:{args.port}"
    started = time.perf_counter()
    recreate(args.database_url, args.cases, env, log)
    Redis.from_url(args.redis_url).flushdb()  # this benchmark's Redis database only
    cases = case_count(args.database_url)
    log(f"database ready ({cases} cases) in {time.perf_counter() - started:.1f}s")

    servers: list[subprocess.Popen] = []
    try:
        gunicorn = start([str(Path(sys.executable).parent / "gunicorn"), "--workers", "2",
                          "--bind", f"127.0.0.1:{args.port}", "wsgi:app"], env,
                         "/tmp/bench-http-gunicorn.log")
        servers.append(gunicorn)
        worker = start([sys.executable, "-m", "timers.worker", "--name", "bench-http"], env,
                       "/tmp/bench-http-worker.log")
        servers.append(worker)
        wait_ready(base, gunicorn)
        tokens = tokens_for(base, f"officer.{args.agency}")
        log(f"gunicorn (2 workers, pid {gunicorn.pid}) on {base}, RQ worker pid {worker.pid} "
            "(logs: /tmp/bench-http-*.log)")

        figures = {}
        for name, clients in (("light load", 1), ("saturation", args.clients)):
            count = case_count(args.database_url)
            merged, memory = phase(clients, base, tokens, args.agency, args.seconds, gunicorn,
                                   worker)
            figures[name] = report(name, clients, args.seconds, merged, memory, count,
                                   os.getloadavg()[0])
        hwm = {"gunicorn workers": [status_kb(pid, "VmHWM") // 1024 for pid in children(gunicorn.pid)],
               "rq worker": status_kb(worker.pid, "VmHWM") // 1024}
        log(f"\nVmHWM (peak RSS since start, MB): {hwm}")
        if worker.poll() is not None or gunicorn.poll() is not None:
            raise RuntimeError("a server died during the load; see /tmp/bench-http-*.log")
    finally:
        stop(servers)
    print(json.dumps({**figures["saturation"], "clients": args.clients}))
    print(json.dumps(figures["light load"]))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: the servers it started are stopped", file=sys.stderr)
        sys.exit(130)
