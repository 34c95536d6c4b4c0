"""Moving running cases to a newer process version: dry run, apply, progress, revert (issue 9).

The second version is the bundled diagram with the agency's and the reply's task renamed; a
case that completed the agency's task is blocked (the task it did changed), a case waiting at
dispatch or handle moves, keeping its work item ids and its pending deadlines' due times.
Each test runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from freezegun import freeze_time
from lxml import etree

from caseapp.extensions import db
from caseapp.models import Case, CaseEvent, CaseMove, Deadline, User, WorkItem
from caseapp.services.administration.processes import deploy_bpmn
from caseapp.services.cases import move_runs, moving, tasks
from caseapp.services.cases.submission import submit_report
from caseapp.services.errors import Conflict, NotFound

from .helpers import REPORT

BUNDLED = (Path(__file__).resolve().parents[2] / "bpmn" / "field_report.bpmn").read_text("utf-8")
BPMN = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
NEW_HANDLE, NEW_PUBLISH = "Xử lý phản ánh (quy trình mới)", "Trả lời người phản ánh (mới)"
START = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)  # a Tuesday, 09:00 in Cà Mau


def renamed_version() -> str:
    """The bundled diagram with 'handle' and 'publish' renamed (edited with lxml)."""
    root = etree.fromstring(BUNDLED.encode("utf-8"))
    root.find('.//bpmn:userTask[@id="handle"]', BPMN).set("name", NEW_HANDLE)
    root.find('.//bpmn:userTask[@id="publish"]', BPMN).set("name", NEW_PUBLISH)
    return etree.tostring(root, encoding="unicode")


def user(name):
    return db.session.scalars(db.select(User).where(User.username == name)).one()


def open_item(case_id):
    return db.session.scalars(db.select(WorkItem).where(
        WorkItem.case_id == case_id, WorkItem.state == "open")).one()


def complete(case_id, who, data):
    tasks.complete(user(who), open_item(case_id).id, dict(data))


DISPATCH = {"action": "dispatch", "agency": "police", "urgent": False}
RESOLVE = {"action": "resolve", "result": "Đã xử lý xong tại hiện trường."}


def case_at(task: str) -> Case:
    """A case on the active version waiting at dispatch, handle or publish."""
    case, _ = submit_report(dict(REPORT))
    if task in ("handle", "publish"):
        complete(case.id, "operator", DISPATCH)
    if task == "publish":
        complete(case.id, "officer.police", RESOLVE)
    db.session.remove()
    return Ref(case.id, case.tracking_code)


@dataclass(frozen=True)
class Ref:
    id: int
    tracking_code: str

    @property
    def case(self) -> Case:
        return db.session.get(Case, self.id)


def pending_deadlines(case_id):
    return {row.bpmn_id: (row.id, row.due_at) for row in db.session.scalars(db.select(Deadline).where(
        Deadline.case_id == case_id, Deadline.state == "pending"))}


def make_cases():
    """Three cases made on v1 (dispatch, handle, publish), then v2 deployed."""
    made = {task: case_at(task) for task in ("dispatch", "handle", "publish")}
    v2, created = deploy_bpmn(renamed_version())
    assert created and v2.version == 2
    return made, moving.target_of(v2)


@pytest.fixture
def cases(seeded):
    """make_cases() on a frozen clock, which the test moves on."""
    with freeze_time(START) as clock:
        made, v2 = make_cases()
        clock.tick(timedelta(minutes=10))
        yield made, v2, clock


def test_dry_run_says_which_case_can_move_and_why_not(cases):
    made, v2, _ = cases
    result = move_runs.dry_run(v2)
    assert result["total"] == 3
    by_code = {row["code"]: row for row in result["cases"]}
    assert by_code[made["dispatch"].tracking_code]["can_move"] is True
    assert by_code[made["handle"].tracking_code]["can_move"] is True
    blocked = by_code[made["publish"].tracking_code]
    assert blocked["can_move"] is False and blocked["task"] == "publish"
    [reason] = blocked["reasons"]
    assert (reason["bpmn_id"], reason["state"], reason["change"]) == ("handle", "completed", "changed")
    assert reason["name"] == "Xử lý phản ánh" and "bpmn_name" in reason["attributes"]
    # nothing was written by a dry run
    assert db.session.scalar(db.select(db.func.count()).select_from(CaseMove)) == 0
    one = move_runs.dry_run(v2, [made["handle"].tracking_code])
    assert [row["code"] for row in one["cases"]] == [made["handle"].tracking_code]
    with pytest.raises(NotFound):
        move_runs.dry_run(v2, ["CM-NONE-NONE"])


def test_a_case_that_can_move_keeps_its_deadlines_and_continues_on_the_new_version(cases):
    made, v2, clock = cases
    case = made["handle"]
    item_before = open_item(case.id)
    deadlines_before = pending_deadlines(case.id)
    assert set(deadlines_before) == {"handle_deadline", "return_deadline"}
    state_before = case.case.workflow_state
    clock.tick(timedelta(minutes=5))  # the move is later than the deadlines' start

    result = moving.move_case(case.id, v2, user("designer"))

    assert result.outcome == moving.MOVED
    db.session.remove()
    case = db.session.get(Case, case.id)
    assert case.process_version_id == v2.id
    item = open_item(case.id)
    assert item.id == item_before.id and item.task_name == NEW_HANDLE  # same task, new version's name
    assert pending_deadlines(case.id) == deadlines_before  # same rows, same due times
    [event] = db.session.scalars(db.select(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == "process.moved")).all()
    assert event.detail["from_version"] == 1 and event.detail["to_version"] == 2
    assert event.actor_label == "designer"
    move = db.session.scalars(db.select(CaseMove).where(CaseMove.case_id == case.id)).one()
    assert move.previous_state == state_before and move.reverted_at is None

    complete(case.id, "officer.police", RESOLVE)  # the next task comes from version 2
    assert open_item(case.id).bpmn_id == "publish"
    assert open_item(case.id).task_name == NEW_PUBLISH


def test_a_blocked_case_stays_where_it_is(cases):
    made, v2, _ = cases
    case = made["publish"]
    state_before, version_before = case.case.workflow_state, case.case.process_version_id
    result = moving.move_case(case.id, v2, user("designer"))
    assert result.outcome == moving.BLOCKED
    assert [b.bpmn_id for b in result.plan.reasons] == ["handle"]
    db.session.remove()
    case = db.session.get(Case, case.id)
    assert (case.workflow_state, case.process_version_id) == (state_before, version_before)
    assert not db.session.scalars(db.select(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == "process.moved")).all()


def test_bulk_apply_counts_progress(cases):
    made, v2, _ = cases
    run = move_runs.create_run(v2, user("designer"))
    assert (run.state, run.total, run.moved) == ("queued", 3, 0)
    move_runs.execute_run(run.id)
    summary = move_runs.run_summary(run.id)
    assert summary["state"] == "done" and summary["finished_at"]
    assert (summary["total"], summary["moved"], summary["blocked"], summary["failed"]) == (3, 2, 1, 0)
    runs = db.session.scalars(db.select(CaseMove.run_id)).all()
    assert runs == [run.id, run.id]
    assert move_runs.dry_run(v2)["total"] == 1  # only the blocked case is left behind


def test_a_broken_case_is_counted_as_failed_and_the_run_goes_on(cases):
    made, v2, _ = cases
    db.session.execute(db.update(Case).where(Case.id == made["dispatch"].id)
                       .values(workflow_state="{not json"))
    db.session.commit()
    run = move_runs.create_run(v2)
    move_runs.execute_run(run.id)
    summary = move_runs.run_summary(run.id)
    assert (summary["moved"], summary["blocked"], summary["failed"]) == (1, 1, 1)


def test_revert_restores_the_previous_state_and_version(cases):
    made, v2, _ = cases
    case = made["dispatch"]
    state_before, deadlines_before = case.case.workflow_state, pending_deadlines(case.id)
    moving.move_case(case.id, v2, user("designer"))
    moving.revert(case.tracking_code, user("designer"))
    db.session.remove()
    case = db.session.get(Case, case.id)
    assert case.process_version_id != v2.id and case.workflow_state == state_before
    assert pending_deadlines(case.id) == deadlines_before
    assert open_item(case.id).bpmn_id == "dispatch"
    kinds = db.session.scalars(db.select(CaseEvent.kind).where(CaseEvent.case_id == case.id)
                               .order_by(CaseEvent.id)).all()
    assert kinds[-2:] == ["process.moved", "process.move_reverted"]
    with pytest.raises(Conflict) as refused:
        moving.revert(case.tracking_code, user("designer"))
    assert refused.value.code == "not_moved"


def test_revert_is_refused_once_the_case_went_on(cases):
    made, v2, _ = cases
    case = made["dispatch"]
    moving.move_case(case.id, v2, user("designer"))
    complete(case.id, "operator", DISPATCH)
    with pytest.raises(Conflict) as refused:
        moving.revert(case.tracking_code, user("designer"))
    assert refused.value.code == "changed_since"
    db.session.remove()
    assert db.session.get(Case, case.id).process_version_id == v2.id


def test_a_move_in_the_background_thread_reaches_done(seeded, app):
    from timers.moves import start_run
    made, v2 = make_cases()  # the real clock: the thread cannot share a frozen one
    run = move_runs.create_run(v2, user("designer"))
    thread = start_run(app, run.id)
    assert thread is not None  # no Redis configured: in-process
    thread.join(timeout=60)
    db.session.remove()
    summary = move_runs.run_summary(run.id)
    assert (summary["state"], summary["moved"], summary["blocked"]) == ("done", 2, 1)


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["migrate", *args])


def test_cli_dry_run_apply_and_revert(cases, app):
    made, v2, _ = cases
    dry = cli(app, "--to", "2", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"{made['dispatch'].tracking_code}  v1 at dispatch: can move" in dry.output
    assert f"{made['publish'].tracking_code}  v1 at publish: BLOCKED: 'Xử lý phản ánh' (handle) " \
           "is completed" in dry.output
    assert "3 case(s), 2 can move, 1 blocked" in dry.output
    assert db.session.scalar(db.select(db.func.count()).select_from(CaseMove)) == 0

    one = cli(app, "--to", "v2", "--case", made["dispatch"].tracking_code, "--by", "designer")
    assert one.exit_code == 0, one.output
    assert f"{made['dispatch'].tracking_code}: moved to v2" in one.output
    assert "1 case(s), 1 moved, 0 blocked, 0 failed" in one.output
    db.session.remove()
    assert made["dispatch"].case.process_version_id == v2.id

    reverted = cli(app, "revert", made["dispatch"].tracking_code)
    assert reverted.exit_code == 0, reverted.output
    assert "move reverted" in reverted.output
    again = cli(app, "--revert", made["dispatch"].tracking_code)
    assert again.exit_code != 0 and "was not moved" in again.output

    everything = cli(app, "--to", "2")
    assert everything.exit_code == 0, everything.output
    assert "3 case(s), 2 moved, 1 blocked, 0 failed" in everything.output


def test_cli_refuses_bad_input(cases, app):
    made, _, _ = cases
    assert cli(app, "--to", "9").exit_code != 0
    assert cli(app, "--to", "two").exit_code != 0
    assert cli(app).exit_code != 0
    unknown = cli(app, "--to", "2", "--case", "CM-XXXX-XXXX")
    assert unknown.exit_code != 0 and "no case" in unknown.output
    assert cli(app, "revert", "CM-XXXX-XXXX").exit_code != 0
    assert cli(app, "--to", "2", "--by", "operator").exit_code != 0


def login(client, username):
    response = client.post("/login", data={"username": username, "password": "pw"})
    assert response.status_code == 302


def test_web_dry_run_apply_progress_and_revert(seeded, app, client, monkeypatch):
    import timers.moves
    made, v2 = make_cases()
    threads = []
    real_start = timers.moves.start_run
    monkeypatch.setattr(timers.moves, "start_run",
                        lambda *a, **k: threads.append(real_start(*a, **k)) or threads[-1])
    login(client, "designer")
    assert 'id="open-moves"' in client.get("/process/").get_data(as_text=True)
    page = client.get("/process/moves/?to=2").get_data(as_text=True)
    assert 'id="moves-table"' in page and made["publish"].tracking_code in page
    assert "Xử lý phản ánh" in page and "đã hoàn thành và phiên bản mới đã sửa" in page
    assert page.count('class="move-ok"') == 2 and page.count('class="move-blocked"') == 1

    response = client.post("/process/moves/", data={"to": "2"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 202, response.get_data(as_text=True)
    body = response.get_json()
    assert body["run"]["total"] == 3
    threads[0].join(timeout=60)
    db.session.remove()
    progress = client.get(body["progress"]).get_json()
    assert (progress["state"], progress["moved"], progress["blocked"]) == ("done", 2, 1)

    run_page = client.get(body["page"]).get_data(as_text=True)
    assert f'id="revert-{made["dispatch"].tracking_code}"' in run_page
    back = client.post(f"/process/moves/cases/{made['dispatch'].tracking_code}/revert",
                       data={"next": body["page"]})
    assert back.status_code == 302 and back.headers["Location"].endswith(body["page"])
    db.session.remove()
    assert made["dispatch"].case.process_version_id != v2.id
    assert "Đã hoàn tác" in client.get(body["page"]).get_data(as_text=True)


def test_web_refuses_bad_input_and_other_roles(seeded, client):
    login(client, "designer")
    assert client.post("/process/moves/", data={}).status_code == 422
    assert client.post("/process/moves/", data={"to": "9"},
                       headers={"Accept": "application/json"}).status_code == 404
    assert client.get("/process/moves/999").status_code == 404
    assert "moves-error" in client.get("/process/moves/?to=9").get_data(as_text=True)
    client.post("/logout")
    login(client, "operator")
    assert client.get("/process/moves/").status_code == 403
    assert client.get("/process/moves/1").status_code == 403


def test_with_redis_the_run_is_an_rq_job(cases, app, monkeypatch):
    """With REDIS_URL the run is queued for an RQ worker (here the job is run as a worker would)."""
    from timers import moves, scheduling
    made, v2, _ = cases
    queued = []

    class FakeQueue:
        def enqueue(self, name, *args, **options):
            queued.append((name, args, options))

    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setattr(scheduling, "redis_connection", lambda app: object())
    monkeypatch.setattr(scheduling, "queue", lambda conn, name: FakeQueue())
    run = move_runs.create_run(v2, user("designer"))
    assert moves.start_run(app, run.id) is None  # nothing runs in this process
    [(name, args, options)] = queued
    assert name == moves.MOVE_JOB and args == (run.id, None)
    assert options["job_id"] == f"process-move-{run.id}"
    assert move_runs.run_summary(run.id)["state"] == "queued"
    result = moves.move_run_job(*args)
    assert (result["state"], result["moved"], result["blocked"]) == ("done", 2, 1)


def test_the_dry_run_pages(cases):
    _, v2, _ = cases
    first = move_runs.dry_run(v2, per_page=2)
    second = move_runs.dry_run(v2, page=2, per_page=2)
    past = move_runs.dry_run(v2, page=9, per_page=2)
    assert (first["pages"], len(first["cases"]), len(second["cases"])) == (2, 2, 1)
    assert past["page"] == 2  # a page past the end shows the last one
    codes = [row["code"] for row in first["cases"] + second["cases"]]
    assert len(set(codes)) == 3
