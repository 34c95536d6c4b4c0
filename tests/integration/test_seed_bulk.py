"""bench/seed_bulk.py at a tiny size: clones are whole, consistent cases whose tasks complete."""
from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

CLOSED, OPEN = 200, 50


def _seed_bulk():
    path = Path(__file__).resolve().parents[2] / "bench" / "seed_bulk.py"
    spec = importlib.util.spec_from_file_location("seed_bulk", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _count(table, *where) -> int:
    from caseapp.extensions import db
    return db.session.scalar(db.select(db.func.count()).select_from(table).where(*where))


def test_bulk_seed_clones_consistent_cases(seeded):
    from caseapp.extensions import db
    from caseapp.models import (Agency, Case, CaseAssignment, Category, Deadline, District,
                                WorkItem)
    from caseapp.services.administration.processes import runner_for
    seed_bulk = _seed_bulk()
    now = datetime.now(timezone.utc)

    result = seed_bulk.bulk_seed(CLOSED, OPEN, now=now, chunk=64, log=lambda *a, **k: None)

    templates = result["templates"]
    tables = {name: db.metadata.tables[name] for name in seed_bulk.CLONED_TABLES}
    # every clone written, on top of the template cases the services made
    assert _count(tables["case_file"]) == templates + CLOSED + OPEN
    for name, rows in result["rows"].items():
        assert rows > 0, name
    assert set(result["rows"]) == set(seed_bulk.CLONED_TABLES)
    template_ids = list(db.session.scalars(db.select(Case.id).where(
        Case.id < result["first_case_id"])))
    assert len(template_ids) == templates
    for name, table in tables.items():
        key = table.c.id if name == "case_file" else table.c.case_id
        assert _count(table, key.not_in(template_ids)) == result["rows"][name], name
    # per phase and status: the clones' share, as the seed reported it
    by_phase = Counter()
    for status, phase, n in db.session.execute(
            db.select(Case.status, Case.phase, db.func.count()).where(Case.id.not_in(template_ids))
            .group_by(Case.status, Case.phase)):
        by_phase[phase if status == "open" else status] += n
    assert dict(by_phase) == result["phases"]
    assert sum(by_phase[p] for p in seed_bulk.OPEN_PHASES) == OPEN
    assert set(by_phase) == {"closed", "rejected", *seed_bulk.OPEN_PHASES}
    # across every category, agency and district; some cases returned, some breached
    bulk = Case.id.not_in(template_ids)
    assert set(db.session.scalars(db.select(Case.category_id).where(bulk))) == \
        set(db.session.scalars(db.select(Category.id).where(Category.active)))
    assert set(db.session.scalars(db.select(CaseAssignment.agency_id).where(
        CaseAssignment.case_id.not_in(template_ids)))) == \
        set(db.session.scalars(db.select(Agency.id).where(Agency.active)))
    assert set(db.session.scalars(db.select(Case.district_id).where(bulk))) == \
        set(db.session.scalars(db.select(District.id).where(District.active)))
    assert _count(tables["case_assignment"], CaseAssignment.outcome == "returned",
                  CaseAssignment.case_id.not_in(template_ids)) > 0
    assert result["rows"]["breach"] > 0
    # closed history spans years; no open clone waits on a deadline that has passed
    first = db.session.scalar(db.select(db.func.min(Case.created_at)).where(bulk))
    assert (now - first).days > 2 * 365
    assert _count(tables["deadline"], Deadline.state == "pending", Deadline.due_at <= now,
                  Deadline.case_id.not_in(template_ids)) == 0

    # every open case: its stored state loads, and says what its rows say
    open_cases = list(db.session.scalars(db.select(Case).where(Case.status == "open")))
    assert len(open_cases) >= OPEN
    for case in open_cases:
        snapshot = runner_for(case.process_version_id).inspect(case.workflow_state)
        items = set(db.session.scalars(db.select(WorkItem.id).where(
            WorkItem.case_id == case.id, WorkItem.state == "open")))
        assert {task.task_id for task in snapshot.ready_tasks} == items, case.tracking_code
        assert snapshot.ready_tasks[0].bpmn_id == case.phase
        pending = {(row.timer_task_id, row.due_at) for row in db.session.scalars(
            db.select(Deadline).where(Deadline.case_id == case.id, Deadline.state == "pending"))}
        assert {(t.task_id, t.due_at) for t in snapshot.pending_timers} == pending
        assert case.tracking_code in case.workflow_state
    db.session.remove()

    # one open task of each phase completes through the service
    done = seed_bulk.check(1, per_phase=True, first_case_id=result["first_case_id"],
                           log=lambda *a, **k: None)
    assert done == Counter({phase: 1 for phase in seed_bulk.OPEN_PHASES})
