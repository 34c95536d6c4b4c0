"""Full lifecycles through the service layer (configured database) vs the engine layer alone.

Each lifecycle: submit -> dispatch -> return -> re-dispatch -> resolve -> publish.
The service run goes through caseapp.services on DATABASE_URL (SQLite by default; set
DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<db> for PostgreSQL): every command one
transaction, as the web app and the API run it; the cases of a chunk advance a step at a time,
the client reading their open tasks in one query before each step, as a queue page does.
The engine run is caseapp.engine alone (sandbox, snapshots, spec-less state reloaded at every
step, no database): what the services add is the database work and the derived rows. The runs
take turns in chunks so that a slow moment of the machine weighs on each of them alike.
Last line: JSON {"cases", "service_cases_per_s", "engine_cases_per_s", "ratio"}.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPORT = {"full_name": "Trần Thị Bình", "phone": "0912345678", "category": "disaster",
          "description": "Cây đổ chắn ngang đường sau bão, cần xử lý gấp", "address": "Năm Căn"}
STEPS = [("operator", {"action": "dispatch", "agency": "police", "urgent": False}),
         ("officer.police", {"action": "return", "return_reason": "Không thuộc thẩm quyền"}),
         ("operator", {"action": "dispatch", "agency": "transport", "urgent": False}),
         ("officer.transport", {"action": "resolve", "result": "Đã dọn cây đổ, thông đường."}),
         ("operator", {"public_response": "Đường đã được thông, cảm ơn bạn đã phản ánh."})]
TASKS = ["dispatch", "handle", "dispatch", "handle", "publish"]  # the user task of each step
BPMN = Path(__file__).resolve().parents[1] / "bpmn" / "field_report.bpmn"


def run_services(app, cases: int) -> float:
    """Seconds for `cases` lifecycles through the services, one transaction per command.

    The cases advance together, a step at a time, as staff work through their queues: before
    each step the client reads the open task of every case in one query (the queue page).
    """
    from caseapp.extensions import db
    from caseapp.models import Case, User, WorkItem
    from caseapp.services.cases import tasks as work_items
    from caseapp.services.cases.submission import submit_report
    open_items = db.select(WorkItem.case_id, WorkItem.id).where(
        WorkItem.case_id.in_(db.bindparam("case_ids", expanding=True)), WorkItem.state == "open")
    closed = db.select(db.func.count()).select_from(Case).where(
        Case.id.in_(db.bindparam("case_ids", expanding=True)), Case.status == "closed")
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(db.select(User))}
        started = time.perf_counter()
        case_ids = [submit_report(dict(REPORT))[0].id for _ in range(cases)]
        for username, data in STEPS:
            task_of = dict(db.session.execute(open_items, {"case_ids": case_ids}).all())
            for case_id in case_ids:
                work_items.complete(users[username], task_of[case_id], dict(data))
        elapsed = time.perf_counter() - started
        assert db.session.scalar(closed, {"case_ids": case_ids}) == cases
        db.session.remove()
    return elapsed


def _engine_functions():
    from datetime import datetime, timedelta, timezone

    def sla_due(phase):
        return (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()

    return {"sla_due": sla_due, "rejection_reply": lambda reason, dup=None: str(reason)}


def _step_data(data: dict, task_bpmn_id: str) -> dict:
    full = {"action": None, "agency": None, "urgent": False, "note": None,
            "reject_reason": None, "duplicate_of": None} if task_bpmn_id == "dispatch" else {}
    full.update(data)
    return full


def _start_data() -> dict:
    return {"tracking_code": "CM-BENCH", "category": "disaster", "reported_urgent": False}


def make_engine_run(cases: int):
    """The project's engine layer (sandbox, snapshots, spec-less state) without a database."""
    from caseapp.engine import ProcessRunner, compile_bpmn
    spec = compile_bpmn(BPMN.read_text("utf-8")).spec_json  # parse once
    functions = _engine_functions()

    def run(n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            runner = ProcessRunner(spec, functions)
            snapshot = runner.start(_start_data())
            for _username, data in STEPS:
                task = snapshot.ready_tasks[0]
                snapshot = runner.complete(snapshot.state_json, task.task_id,
                                           _step_data(data, task.bpmn_id))
            assert snapshot.completed
        return time.perf_counter() - started
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--chunk", type=int, default=20,
                        help="lifecycles per turn: the two runs take turns, so that a slow "
                             "moment of the machine weighs on all of them alike")
    args = parser.parse_args()
    from flask_migrate import upgrade
    from caseapp import create_app
    from caseapp.services.administration.seed import seed_demo
    app = create_app({"EMBEDDED_SWEEPER": False})
    with app.app_context():
        upgrade()
        seed_demo("bench-password")
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    runs = {"service": lambda n: run_services(app, n), "engine": make_engine_run(args.cases)}
    for run in runs.values():
        run(min(5, args.cases))  # warm up caches and connections
    seconds = dict.fromkeys(runs, 0.0)
    done = 0
    while done < args.cases:
        n = min(args.chunk, args.cases - done)
        for name, run in runs.items():
            seconds[name] += run(n)
        done += n
    rate = {name: args.cases / spent for name, spent in seconds.items()}
    print(f"services:      {args.cases} lifecycles in {seconds['service']:.2f} s "
          f"({rate['service']:.1f}/s)")
    print(f"engine layer:  {args.cases} lifecycles in {seconds['engine']:.2f} s "
          f"({rate['engine']:.1f}/s; caseapp.engine alone, no database)")
    print(json.dumps({"cases": args.cases, "service_cases_per_s": round(rate["service"], 2),
                      "engine_cases_per_s": round(rate["engine"], 2),
                      "ratio": round(rate["service"] / rate["engine"], 3)}))


if __name__ == "__main__":
    main()
