"""The workflow engine on the real field_report.bpmn: every path, timers, sandbox, state handling."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from freezegun import freeze_time

from caseapp.engine import (
    BpmnValidationError,
    Effect,
    EngineError,
    FiredTimer,
    ProcessRunner,
    ScriptError,
    TaskDataError,
    TaskNotReady,
    compile_bpmn,
)

BPMN = (Path(__file__).resolve().parents[2] / "bpmn" / "field_report.bpmn").read_text(encoding="utf-8")
START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # a Monday, 08:00 in Hanoi
SLA = {"dispatch": timedelta(hours=2), "handle": timedelta(hours=4),
       "return": timedelta(hours=1), "publish": timedelta(hours=2)}

DISPATCH_FIELDS = ("action", "agency", "urgent", "note", "reject_reason", "duplicate_of")
HANDLE_FIELDS = ("action", "result", "return_reason")


class FakeServices:
    """The functions the app gives the engine, recording how scripts called them."""

    def __init__(self):
        self.sla_calls: list[str] = []
        self.reply_calls: list[tuple] = []

    def sla_due(self, phase):
        self.sla_calls.append(phase)
        return (datetime.now(timezone.utc) + SLA[phase]).isoformat()

    def rejection_reply(self, reason, duplicate_of):
        self.reply_calls.append((reason, duplicate_of))
        suffix = f" (see {duplicate_of})" if duplicate_of else ""
        return f"rejected: {reason}{suffix}"

    def functions(self):
        return {"sla_due": self.sla_due, "rejection_reply": self.rejection_reply}


@pytest.fixture(scope="module")
def compiled():
    return compile_bpmn(BPMN)


@pytest.fixture
def services():
    return FakeServices()


@pytest.fixture
def runner(compiled, services):
    return ProcessRunner(compiled.spec_json, services.functions())


@pytest.fixture
def clock():
    with freeze_time(START) as frozen:
        yield frozen


def form(fields, **values):
    """A complete form: every field present, None where unused (what the services send)."""
    data = {name: None for name in fields}
    data.update(values)
    return data


def ready(snapshot, bpmn_id):
    matches = [t for t in snapshot.ready_tasks if t.bpmn_id == bpmn_id]
    assert len(matches) == 1, f"expected one READY {bpmn_id}, got {snapshot.ready_tasks}"
    return matches[0]


def dispatch(runner, snap, agency="AG1", urgent=False):
    task = ready(snap, "dispatch")
    return runner.complete(snap.state_json, task.task_id,
                           form(DISPATCH_FIELDS, action="dispatch", agency=agency, urgent=urgent))


def resolve(runner, snap, result="fixed"):
    return runner.complete(snap.state_json, ready(snap, "handle").task_id,
                           form(HANDLE_FIELDS, action="resolve", result=result))


def give_back(runner, snap, reason="not ours"):
    return runner.complete(snap.state_json, ready(snap, "handle").task_id,
                           form(HANDLE_FIELDS, action="return", return_reason=reason))


def publish(runner, snap, text="We fixed it."):
    return runner.complete(snap.state_json, ready(snap, "publish").task_id, {"public_response": text})


def timers_by_id(snapshot):
    return {t.bpmn_id: t for t in snapshot.pending_timers}


# -- compile ---------------------------------------------------------------------------------

def test_compile_reports_the_contract_other_code_relies_on(compiled):
    assert compiled.process_id == "field_report"
    assert compiled.bpmn_sha256 == hashlib.sha256(BPMN.encode("utf-8")).hexdigest()
    assert compile_bpmn(BPMN.encode("utf-8")).bpmn_sha256 == compiled.bpmn_sha256
    assert [(t.bpmn_id, t.lane, t.form_key) for t in compiled.user_tasks] == [
        ("dispatch", "Portal", "dispatch"), ("handle", "Agency", "handle"), ("publish", "Portal", "publish")]
    assert {(t.bpmn_id, t.attached_to, t.phase, t.interrupting) for t in compiled.timers} == {
        ("dispatch_deadline", "dispatch", "dispatch", False),
        ("handle_deadline", "handle", "handle", False),
        ("return_deadline", "handle", "return", False),
        ("publish_deadline", "publish", "publish", False),
    }
    spec = json.loads(compiled.spec_json)
    assert spec["process_id"] == "field_report"
    assert "compose_rejection" in spec["spec"]["task_specs"]


def test_compile_rejects_broken_documents():
    with pytest.raises(BpmnValidationError, match="well-formed"):
        compile_bpmn("<bpmn:definitions")
    with pytest.raises(BpmnValidationError, match="no executable process"):
        compile_bpmn(BPMN.replace('isExecutable="true"', 'isExecutable="false"'))
    with pytest.raises(BpmnValidationError, match="'handle' has no camunda:formKey"):
        compile_bpmn(BPMN.replace(' camunda:formKey="handle"', ""))
    with pytest.raises(BpmnValidationError):
        compile_bpmn(BPMN.replace('targetRef="closed"', 'targetRef="nowhere"'))


def test_compile_refuses_external_entities():
    evil = BPMN.replace('<?xml version="1.0" encoding="UTF-8"?>',
                        '<?xml version="1.0" encoding="UTF-8"?>\n'
                        '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
    evil = evil.replace('name="Đã trả lời"', 'name="&x;"')
    try:
        compiled = compile_bpmn(evil)
    except BpmnValidationError:
        return
    assert "root:" not in compiled.spec_json


# -- paths -----------------------------------------------------------------------------------

def test_start_makes_dispatch_ready_with_its_deadline(runner, services, clock):
    snap = runner.start({"tracking_code": "PA-1", "category": "weather"})
    task = ready(snap, "dispatch")
    assert (task.lane, task.form_key, task.name) == ("Portal", "dispatch", "Tiếp nhận và chuyển xử lý")
    assert [t.bpmn_id for t in snap.pending_timers] == ["dispatch_deadline"]
    timer = snap.pending_timers[0]
    assert timer.due_at == START + timedelta(hours=2)
    assert timer.due_at.tzinfo is not None and timer.due_at.utcoffset() == timedelta(0)
    assert (timer.attached_to, timer.attached_task_id, timer.phase, timer.interrupting) == (
        "dispatch", task.task_id, "dispatch", False)
    assert services.sla_calls == ["dispatch"]
    assert snap.data == {"tracking_code": "PA-1", "category": "weather"}
    assert not snap.completed and snap.end_event is None
    assert snap.fired_timers == () and snap.effects == ()
    assert snap.task_marks == {"submitted": "completed", "merge_dispatch": "completed", "dispatch": "ready"}


def test_dispatch_handle_publish_closes_the_case(runner, services, clock):
    snap = runner.start({"tracking_code": "PA-2"})
    clock.tick(timedelta(minutes=30))
    snap = dispatch(runner, snap, agency="AG7")
    handle = ready(snap, "handle")
    assert (handle.lane, handle.form_key) == ("Agency", "handle")
    assert snap.data["agency"] == "AG7" and snap.data["urgent"] is False
    assert snap.effects == ()
    clock.tick(timedelta(hours=1))
    snap = resolve(runner, snap, result="road repaired")
    assert ready(snap, "publish").form_key == "publish"
    assert [t.bpmn_id for t in snap.pending_timers] == ["publish_deadline"]
    snap = publish(runner, snap, "The road was repaired.")
    assert snap.completed and snap.end_event == "closed"
    assert snap.ready_tasks == () and snap.pending_timers == ()
    assert snap.data["public_response"] == "The road was repaired."
    assert snap.data["result"] == "road repaired" and snap.data["tracking_code"] == "PA-2"
    assert services.reply_calls == []
    assert snap.task_marks["closed"] == "completed"
    assert snap.task_marks["publish"] == "completed"
    assert "notify_urgent" not in snap.task_marks and "compose_rejection" not in snap.task_marks
    assert "rejected" not in snap.task_marks


@pytest.mark.parametrize("reason,duplicate_of", [
    ("spam", None), ("duplicate", "PA-0001"), ("not_field_report", None), ("insufficient_info", None)])
def test_rejection_composes_the_public_response(runner, services, clock, reason, duplicate_of):
    snap = runner.start({"tracking_code": "PA-3"})
    snap = runner.complete(snap.state_json, ready(snap, "dispatch").task_id,
                           form(DISPATCH_FIELDS, action="reject", reject_reason=reason,
                                duplicate_of=duplicate_of))
    assert snap.completed and snap.end_event == "rejected"
    assert services.reply_calls == [(reason, duplicate_of)]
    expected = f"rejected: {reason}" + (f" (see {duplicate_of})" if duplicate_of else "")
    assert snap.data["public_response"] == expected
    assert snap.data["reject_reason"] == reason  # the script keeps the data it was given
    assert snap.ready_tasks == () and snap.pending_timers == ()
    assert snap.task_marks["compose_rejection"] == "completed" and snap.task_marks["rejected"] == "completed"
    assert "handle" not in snap.task_marks


def test_rejection_without_optional_fields_still_works(runner, services, clock):
    """Form fields declared in the BPMN default to None, so a partial form cannot crash a script."""
    snap = runner.start({})
    snap = runner.complete(snap.state_json, ready(snap, "dispatch").task_id,
                           {"action": "reject", "reject_reason": "spam"})
    assert snap.end_event == "rejected"
    assert services.reply_calls == [("spam", None)]


def test_urgent_dispatch_notifies_the_agency_leader_once(runner, clock):
    snap = runner.start({"tracking_code": "PA-4"})
    snap = dispatch(runner, snap, agency="AG9", urgent=True)
    assert snap.effects == (Effect(name="agency_leader", args={"reason": "urgent", "agency": "AG9"}),)
    assert ready(snap, "handle")
    assert snap.task_marks["notify_urgent"] == "completed"
    snap = resolve(runner, snap)
    assert snap.effects == ()
    snap = publish(runner, snap)
    assert snap.effects == () and snap.end_event == "closed"


def test_return_goes_back_to_dispatch_and_can_be_redispatched(runner, clock):
    snap = runner.start({"tracking_code": "PA-5"})
    first_dispatch = ready(snap, "dispatch").task_id
    snap = dispatch(runner, snap, agency="AG1")
    first_handle = ready(snap, "handle").task_id
    clock.tick(timedelta(minutes=20))
    snap = give_back(runner, snap, "not within our competence")
    again = ready(snap, "dispatch")
    assert again.task_id != first_dispatch
    assert snap.data["return_reason"] == "not within our competence"
    assert [t.bpmn_id for t in snap.pending_timers] == ["dispatch_deadline"]
    assert snap.pending_timers[0].due_at == START + timedelta(minutes=20) + SLA["dispatch"]
    assert snap.pending_timers[0].attached_task_id == again.task_id
    assert snap.task_marks["dispatch"] == "ready" and snap.task_marks["handle"] == "completed"
    snap = dispatch(runner, snap, agency="AG2")
    assert ready(snap, "handle").task_id != first_handle
    assert snap.data["agency"] == "AG2"
    snap = publish(runner, resolve(runner, snap))
    assert snap.completed and snap.end_event == "closed"


def test_unknown_action_is_refused_and_the_state_stays_usable(runner, clock):
    snap = runner.start({})
    task = ready(snap, "dispatch")
    with pytest.raises(EngineError) as info:
        runner.complete(snap.state_json, task.task_id, form(DISPATCH_FIELDS, action="archive"))
    assert "dispatch_decision" in str(info.value)
    assert ready(runner.inspect(snap.state_json), "dispatch").task_id == task.task_id
    assert dispatch(runner, snap).ready_tasks[0].bpmn_id == "handle"


# -- timers ----------------------------------------------------------------------------------

def test_dispatch_timer_fires_once_and_the_task_stays_ready(runner, clock):
    snap = runner.start({})
    task = ready(snap, "dispatch")
    pending = snap.pending_timers[0]

    clock.move_to(START + timedelta(hours=1, minutes=59))
    early = runner.fire_due_timers(snap.state_json)
    assert early.fired_timers == ()
    assert timers_by_id(early)["dispatch_deadline"].task_id == pending.task_id

    clock.move_to(START + timedelta(hours=2, minutes=1))
    fired = runner.fire_due_timers(early.state_json)
    assert fired.fired_timers == (FiredTimer(
        task_id=pending.task_id, bpmn_id="dispatch_deadline", attached_to="dispatch",
        attached_task_id=task.task_id, phase="dispatch", interrupting=False,
        due_at=START + timedelta(hours=2), fired_at=START + timedelta(hours=2, minutes=1)),)
    assert ready(fired, "dispatch").task_id == task.task_id  # non-interrupting
    assert fired.pending_timers == ()
    assert fired.task_marks["dispatch_overdue"] == "completed"
    assert not fired.completed

    clock.tick(timedelta(hours=5))
    again = runner.fire_due_timers(fired.state_json)
    assert again.fired_timers == () and again.pending_timers == ()
    assert ready(again, "dispatch").task_id == task.task_id
    # the case goes on normally after a breach
    snap = publish(runner, resolve(runner, dispatch(runner, again)))
    assert snap.end_event == "closed"


def test_a_timer_whose_task_completed_first_never_fires(runner, clock):
    snap = runner.start({})
    clock.tick(timedelta(hours=1))
    snap = dispatch(runner, snap)  # before the dispatch deadline (+2h)
    assert "dispatch_deadline" not in timers_by_id(snap)
    clock.move_to(START + timedelta(hours=2, minutes=30))  # past dispatch (+2h) and return (+2h) dues
    late = runner.fire_due_timers(snap.state_json)
    assert [t.bpmn_id for t in late.fired_timers] == ["return_deadline"]

    snap = publish(runner, resolve(runner, late))
    clock.tick(timedelta(days=3))
    assert snap.completed
    after = runner.fire_due_timers(snap.state_json)
    assert after.fired_timers == () and after.pending_timers == ()
    assert after.end_event == "closed"


def test_both_handle_timers_fire_at_their_own_time(runner, clock):
    snap = runner.start({})
    clock.tick(timedelta(minutes=30))
    snap = dispatch(runner, snap)
    handle = ready(snap, "handle")
    timers = timers_by_id(snap)
    assert set(timers) == {"handle_deadline", "return_deadline"}
    assert timers["return_deadline"].due_at == START + timedelta(minutes=30) + SLA["return"]
    assert timers["handle_deadline"].due_at == START + timedelta(minutes=30) + SLA["handle"]
    assert {t.attached_task_id for t in timers.values()} == {handle.task_id}
    assert {t.phase for t in timers.values()} == {"handle", "return"}

    clock.move_to(START + timedelta(hours=1, minutes=31))
    snap = runner.fire_due_timers(snap.state_json)
    assert [(t.bpmn_id, t.phase) for t in snap.fired_timers] == [("return_deadline", "return")]
    assert [t.bpmn_id for t in snap.pending_timers] == ["handle_deadline"]
    assert ready(snap, "handle").task_id == handle.task_id

    clock.move_to(START + timedelta(hours=4, minutes=31))
    snap = runner.fire_due_timers(snap.state_json)
    assert [t.bpmn_id for t in snap.fired_timers] == ["handle_deadline"]
    assert snap.fired_timers[0].fired_at == START + timedelta(hours=4, minutes=31)
    assert snap.pending_timers == ()
    assert ready(snap, "handle").task_id == handle.task_id
    assert runner.fire_due_timers(snap.state_json).fired_timers == ()

    snap = resolve(runner, snap)
    assert timers_by_id(snap)["publish_deadline"].due_at == START + timedelta(hours=4, minutes=31) + SLA["publish"]


def test_publish_timer_fires(runner, clock):
    snap = resolve(runner, dispatch(runner, runner.start({})))
    clock.tick(timedelta(hours=2, seconds=1))
    snap = runner.fire_due_timers(snap.state_json)
    assert [t.bpmn_id for t in snap.fired_timers] == ["publish_deadline"]
    assert ready(snap, "publish") and not snap.completed
    assert publish(runner, snap).end_event == "closed"


def test_a_due_timer_not_yet_swept_fires_when_its_task_completes(runner, clock):
    """complete() first fires what is due, so a late completion still reports the breach."""
    snap = runner.start({})
    clock.tick(timedelta(hours=3))
    snap = dispatch(runner, snap)
    assert [t.bpmn_id for t in snap.fired_timers] == ["dispatch_deadline"]
    assert ready(snap, "handle")


def test_timer_expressions_call_sla_due_with_their_phase(runner, services, clock):
    publish(runner, resolve(runner, dispatch(runner, runner.start({}))))
    assert services.sla_calls == ["dispatch", "handle", "return", "publish"]


def test_timer_returning_a_naive_datetime_is_a_script_error(compiled, clock):
    naive = ProcessRunner(compiled.spec_json, {
        "sla_due": lambda phase: datetime(2026, 3, 2, 12, 0).isoformat(),
        "rejection_reply": lambda *a: ""})
    with pytest.raises(ScriptError, match="dispatch_deadline.*timezone"):
        naive.start({})


def test_timer_may_return_an_aware_datetime(compiled, clock):
    aware = ProcessRunner(compiled.spec_json, {
        "sla_due": lambda phase: datetime(2026, 3, 2, 19, 0, tzinfo=timezone(timedelta(hours=7))),
        "rejection_reply": lambda *a: ""})
    snap = aware.start({})
    assert snap.pending_timers[0].due_at == datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


# -- sandbox ---------------------------------------------------------------------------------

ESCAPES = [
    "__import__('os').system('id')",
    "open('/etc/passwd').read()",
    "().__class__.__mro__[1].__subclasses__()",
]
REJECTION_SCRIPT = "public_response = rejection_reply(reject_reason, duplicate_of)"


@pytest.mark.parametrize("payload", ESCAPES)
def test_escaping_script_is_refused_at_compile_time(payload):
    with pytest.raises(ScriptError) as info:
        compile_bpmn(BPMN.replace(REJECTION_SCRIPT, f"public_response = {payload}"))
    assert isinstance(info.value, BpmnValidationError)  # deploy screens catch either
    assert "compose_rejection" in str(info.value)
    assert info.value.bpmn_id == "compose_rejection"


@pytest.mark.parametrize("payload", ESCAPES)
def test_escaping_condition_or_timer_is_refused_at_compile_time(payload):
    with pytest.raises(ScriptError, match="dispatch_decision"):
        compile_bpmn(BPMN.replace("action == 'reject'", f"{payload} and action == 'reject'"))
    with pytest.raises(ScriptError, match="handle_deadline"):
        compile_bpmn(BPMN.replace("sla_due('handle')", payload))


def _tampered_spec(compiled, task_id, **changes):
    """A stored spec edited behind the compiler's back (e.g. in the database)."""
    spec = json.loads(compiled.spec_json)
    task = spec["spec"]["task_specs"][task_id]
    for path, value in changes.items():
        target = task
        *parents, leaf = path.split(".")
        for key in parents:
            target = target[key]
        target[leaf] = value
    return json.dumps(spec)


@pytest.mark.parametrize("payload", ESCAPES + [
    "[x for x in range(10) if x < 0] or (lambda: 1)().__globals__",
    "'a' * 10 ** 9",
])
def test_escaping_script_in_a_stored_spec_fails_at_run_time_and_keeps_state(compiled, services, clock, payload):
    spec_json = _tampered_spec(compiled, "compose_rejection", script=f"public_response = {payload}")
    runner = ProcessRunner(spec_json, services.functions())
    snap = runner.start({"tracking_code": "PA-9"})
    state_before = snap.state_json
    task = ready(snap, "dispatch")
    data = form(DISPATCH_FIELDS, action="reject", reject_reason="spam")
    data_before = dict(data)
    with pytest.raises(ScriptError) as info:
        runner.complete(snap.state_json, task.task_id, data)
    assert "compose_rejection" in str(info.value)
    assert info.value.bpmn_id == "compose_rejection"
    assert snap.state_json == state_before and data == data_before
    assert ready(runner.inspect(state_before), "dispatch").task_id == task.task_id
    # the caller's saved state still works once the process is fixed
    good = ProcessRunner(compiled.spec_json, services.functions())
    assert good.complete(state_before, task.task_id, data).end_event == "rejected"


def test_escaping_timer_in_a_stored_spec_fails_at_run_time(compiled, services, clock):
    spec_json = _tampered_spec(compiled, "dispatch_deadline",
                               **{"event_definition.expression": "__import__('os').getcwd()"})
    with pytest.raises(ScriptError, match="dispatch_deadline"):
        ProcessRunner(spec_json, services.functions()).start({})


def test_runaway_script_is_stopped_by_the_time_limit(compiled, services, clock):
    spec_json = _tampered_spec(compiled, "compose_rejection",
                               script="n = 0\nwhile True:\n    n = n + 1")
    runner = ProcessRunner(spec_json, services.functions(), script_time_limit=0.2)
    snap = runner.start({})
    with pytest.raises(ScriptError, match="longer than 0.2 s"):
        runner.complete(snap.state_json, ready(snap, "dispatch").task_id,
                        form(DISPATCH_FIELDS, action="reject", reject_reason="spam"))


def test_script_results_that_cannot_be_stored_are_script_errors(compiled, services, clock):
    spec_json = _tampered_spec(compiled, "compose_rejection", script="public_response = {1, 2}")
    runner = ProcessRunner(spec_json, services.functions())
    snap = runner.start({})
    with pytest.raises(ScriptError, match="cannot be stored"):
        runner.complete(snap.state_json, ready(snap, "dispatch").task_id,
                        form(DISPATCH_FIELDS, action="reject", reject_reason="spam"))


def test_scripts_cannot_reach_the_objects_behind_functions(compiled, clock):
    class Calendar:
        secret = "db-password"

        def __call__(self, phase):
            return (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()

    spec_json = _tampered_spec(compiled, "compose_rejection", script="public_response = sla_due.secret")
    runner = ProcessRunner(spec_json, {"sla_due": Calendar(), "rejection_reply": lambda *a: ""})
    snap = runner.start({})
    with pytest.raises(ScriptError, match="AttributeError"):
        runner.complete(snap.state_json, ready(snap, "dispatch").task_id,
                        form(DISPATCH_FIELDS, action="reject", reject_reason="spam"))


# -- task ids, data, state -------------------------------------------------------------------

def test_completing_a_task_that_is_not_ready_raises_task_not_ready(runner, clock):
    snap = runner.start({})
    task = ready(snap, "dispatch")
    after = dispatch(runner, snap)
    with pytest.raises(TaskNotReady, match="COMPLETED"):
        runner.complete(after.state_json, task.task_id, form(DISPATCH_FIELDS, action="dispatch"))
    with pytest.raises(TaskNotReady):
        runner.complete(after.state_json, "00000000-0000-4000-8000-000000000000", {})
    with pytest.raises(TaskNotReady):
        runner.complete(after.state_json, "not-a-uuid", {})
    timer_id = after.pending_timers[0].task_id
    with pytest.raises(TaskNotReady, match="not a user task"):
        runner.complete(after.state_json, timer_id, {})


def test_bad_data_is_refused_before_anything_runs(runner, clock):
    snap = runner.start({})
    task_id = ready(snap, "dispatch").task_id
    with pytest.raises(TaskDataError, match="not JSON"):
        runner.complete(snap.state_json, task_id, {"action": "dispatch", "when": datetime.now()})
    with pytest.raises(TaskDataError, match="hide the script function"):
        runner.complete(snap.state_json, task_id, {"notify": 1})
    with pytest.raises(TaskDataError, match="reserved"):
        runner.start({"_getattr_": 1})


def test_inputs_are_never_mutated(runner, clock):
    initial = {"tracking_code": "PA-6", "tags": ["road"]}
    snap = runner.start(initial)
    snap.data["tags"].append("changed")
    assert initial == {"tracking_code": "PA-6", "tags": ["road"]}
    data = {"action": "dispatch", "agency": "AG1", "urgent": False}
    dispatch_id = ready(snap, "dispatch").task_id
    runner.complete(snap.state_json, dispatch_id, data)
    assert data == {"action": "dispatch", "agency": "AG1", "urgent": False}


def test_state_is_stored_without_the_spec_and_round_trips(compiled, runner, clock):
    snap = dispatch(runner, runner.start({"tracking_code": "PA-7"}))
    state = json.loads(snap.state_json)
    assert "spec" not in state and "subprocess_specs" not in state
    assert "task_specs" not in snap.state_json
    assert len(snap.state_json) < len(compiled.spec_json)

    fresh = ProcessRunner(compiled.spec_json, FakeServices().functions())
    view = fresh.inspect(snap.state_json)
    assert view.state_json == snap.state_json
    assert view.ready_tasks == snap.ready_tasks
    assert view.pending_timers == snap.pending_timers
    assert view.data == snap.data and view.task_marks == snap.task_marks
    assert view.fired_timers == () and view.effects == ()
    done = publish(fresh, resolve(fresh, view))
    assert done.end_event == "closed"


def test_runners_share_the_parsed_spec(compiled):
    a = ProcessRunner(compiled.spec_json)
    b = ProcessRunner(compiled.spec_json, {"sla_due": lambda p: ""})
    assert a.loaded is b.loaded


def test_garbage_state_is_an_engine_error(runner):
    with pytest.raises(EngineError, match="cannot be loaded"):
        runner.inspect("{not json")
    with pytest.raises(EngineError):
        ProcessRunner("{}")


def test_reserved_function_names_are_refused(compiled):
    with pytest.raises(EngineError, match="reserved"):
        ProcessRunner(compiled.spec_json, {"notify": print})
    with pytest.raises(EngineError):
        ProcessRunner(compiled.spec_json, {"_secret": print})


def test_a_failing_app_function_is_a_script_error_that_keeps_its_cause(compiled, clock):
    class CalendarDown(RuntimeError):
        pass

    def sla_due(phase):
        raise CalendarDown("calendar unavailable")

    runner = ProcessRunner(compiled.spec_json, {"sla_due": sla_due, "rejection_reply": lambda *a: ""})
    with pytest.raises(ScriptError, match="dispatch_deadline.*CalendarDown") as info:
        runner.start({})
    assert isinstance(info.value.__cause__, CalendarDown)  # services can tell infrastructure errors apart


def test_reschedule_moves_a_pending_timer_and_survives_reload():
    """A calendar change moves the due time inside the workflow state, not only in the database."""
    import time
    from datetime import datetime, timedelta, timezone

    from freezegun import freeze_time

    from caseapp.engine import ProcessRunner, compile_bpmn
    from pathlib import Path
    xml = (Path(__file__).resolve().parents[2] / "bpmn" / "field_report.bpmn").read_text("utf-8")
    start = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
    runner = ProcessRunner(compile_bpmn(xml).spec_json, {
        "sla_due": lambda phase: (datetime.fromtimestamp(time.time(), timezone.utc)
                                  + timedelta(hours=2)).isoformat(),
        "rejection_reply": lambda reason, dup=None: "no"})
    with freeze_time(start):
        snap = runner.start({})
    timer = snap.pending_timers[0]
    assert timer.due_at == start + timedelta(hours=2)
    later = start + timedelta(hours=12)
    with freeze_time(start + timedelta(minutes=5)):
        moved = runner.reschedule_timers(snap.state_json, {timer.task_id: later})
    assert [t.due_at for t in moved.pending_timers] == [later]
    with freeze_time(start + timedelta(hours=3)):
        assert runner.fire_due_timers(moved.state_json).fired_timers == ()
    with freeze_time(later + timedelta(seconds=1)):
        fired = runner.fire_due_timers(moved.state_json).fired_timers
    assert [f.task_id for f in fired] == [timer.task_id]
    # moving into the past fires at once
    with freeze_time(start + timedelta(minutes=30)):
        past = runner.reschedule_timers(snap.state_json, {timer.task_id: start + timedelta(minutes=10)})
    assert [f.task_id for f in past.fired_timers] == [timer.task_id]
