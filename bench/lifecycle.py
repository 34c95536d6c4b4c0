"""Full lifecycles through the service layer (configured database) vs the bare engine.

Each lifecycle: submit -> dispatch -> return -> re-dispatch -> resolve -> publish.
The service run goes through caseapp.services on DATABASE_URL (SQLite by default; set
DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test for PostgreSQL). The engine run uses
the engine wrapper only: spec parsed once, the instance serialised and reloaded at every step.
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


def run_services(app, cases: int) -> float:
    """Seconds for `cases` lifecycles through the services, one transaction per command."""
    from caseapp.extensions import db
    from caseapp.models import User, WorkItem
    from caseapp.services import work_items
    from caseapp.services.reports import submit_report
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(db.select(User))}
        started = time.perf_counter()
        for _ in range(cases):
            case, _ = submit_report(dict(REPORT))
            for username, data in STEPS:
                item_id = db.session.scalar(db.select(WorkItem.id).where(
                    WorkItem.case_id == case.id, WorkItem.state == "open"))
                work_items.complete(users[username], item_id, dict(data))
            assert case.status == "closed", case.status
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed


def run_engine(cases: int) -> float:
    """Seconds for the same lifecycles on the bare engine: no database, state as JSON text."""
    from datetime import datetime, timedelta, timezone
    from caseapp.engine import ProcessRunner, compile_bpmn
    xml = (Path(__file__).resolve().parents[1] / "bpmn" / "field_report.bpmn").read_text("utf-8")
    spec = compile_bpmn(xml).spec_json  # parse once

    def sla_due(phase):
        return (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()

    functions = {"sla_due": sla_due, "rejection_reply": lambda reason, dup=None: str(reason)}
    started = time.perf_counter()
    for _ in range(cases):
        runner = ProcessRunner(spec, functions)
        snapshot = runner.start({"tracking_code": "CM-BENCH", "category": "disaster",
                                 "reported_urgent": False})
        for _username, data in STEPS:
            task = snapshot.ready_tasks[0]
            full = {"action": None, "agency": None, "urgent": False, "note": None,
                    "reject_reason": None, "duplicate_of": None} if task.bpmn_id == "dispatch" else {}
            full.update(data)
            snapshot = runner.complete(snapshot.state_json, task.task_id, full)
        assert snapshot.completed
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    args = parser.parse_args()
    from flask_migrate import upgrade
    from caseapp import create_app
    from caseapp.services.seed import seed_demo
    app = create_app({"EMBEDDED_SWEEPER": False})
    with app.app_context():
        upgrade()
        seed_demo("bench-password")
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    run_services(app, min(5, args.cases))  # warm up caches and connections
    run_engine(min(5, args.cases))
    service_s = run_services(app, args.cases)
    engine_s = run_engine(args.cases)
    service_rate, engine_rate = args.cases / service_s, args.cases / engine_s
    print(f"services: {args.cases} lifecycles in {service_s:.2f} s ({service_rate:.1f}/s)")
    print(f"engine:   {args.cases} lifecycles in {engine_s:.2f} s ({engine_rate:.1f}/s)")
    print(json.dumps({"cases": args.cases, "service_cases_per_s": round(service_rate, 2),
                      "engine_cases_per_s": round(engine_rate, 2),
                      "ratio": round(service_rate / engine_rate, 3)}))


if __name__ == "__main__":
    main()
