"""The live diagram: per task of the active process, cases waiting now, overdue now, and the
median / 90th-percentile time spent there, for the designers' process page.

Built from the dashboard's figures (`stats.overdue_now`, `stats.durations`) plus one GROUP BY
over open work items (partial indexes ix_work_open_*): no case or workflow is loaded, so the
cost is the same at a hundred cases or a million. Figures are keyed by the task's BPMN id, so a
task of an earlier version with the same id counts together with the active version's task.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Mapping

from lxml import etree

from ...extensions import db
from ...i18n import format_duration
from ...models import WorkItem
from ..administration.processes import (BPMN_NS, active_version, element_label,
                                        require_designer)
from ..errors import ValidationFailed
from . import stats
from .filters import MAX_PERIOD_DAYS, FigureFilters, code_arg, date_arg, local_today

DEFAULT_DAYS = 30
HEAT_LEVELS = 4  # heat 0 (calm) .. 4 (hot)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def parse_heat_filters(args: Mapping, now: datetime) -> FigureFilters:
    """Read `agency`, `from`, `to` (local days, default the last 30); 422 on bad values."""
    from ...models import Agency
    errors: dict[str, list[str]] = {}
    today = local_today(now)
    first = date_arg(args, "from", today - timedelta(days=DEFAULT_DAYS - 1), errors)
    last = date_arg(args, "to", today, errors)
    if "from" not in errors and "to" not in errors:
        if last < first:
            errors["to"] = ["must not be before from"]
        elif (last - first).days + 1 > MAX_PERIOD_DAYS:
            errors["to"] = [f"the period is at most {MAX_PERIOD_DAYS} days"]
    agency = code_arg(args, "agency", Agency, errors)
    if errors:
        raise ValidationFailed("the filters are not valid", errors)
    filters = FigureFilters(first_day=first, last_day=last)
    if agency is not None:
        filters = replace(filters, agency_id=agency.id, agency=agency.code)
    return filters


def task_ids(xml: str | bytes) -> list[str]:
    """The ids of the diagram's tasks (every BPMN element whose tag ends in 'task'), in order."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    root = etree.fromstring(data, parser=_PARSER)
    return [element.get("id") for element in root.iter(f"{{{BPMN_NS}}}*")
            if etree.QName(element).localname.lower().endswith("task") and element.get("id")]


def waiting_now(f: FigureFilters) -> dict[str, int]:
    """Cases with an open work item per task now (of the agency, when one is chosen)."""
    where = [WorkItem.state == "open"]
    if f.agency_id is not None:
        where.append(WorkItem.agency_id == f.agency_id)
    rows = db.session.execute(
        db.select(WorkItem.bpmn_id, db.func.count(db.distinct(WorkItem.case_id)))
        .where(*where).group_by(WorkItem.bpmn_id)).all()
    return {bpmn_id: int(n) for bpmn_id, n in rows}


def heat_level(waiting: int, overdue: int, most_waiting: int) -> int:
    """Calm (0) to hot (4): the larger of the task's share of the busiest task's queue and the
    share of its waiting cases that are overdue."""
    if not waiting:
        return 0
    share = max(waiting / most_waiting if most_waiting else 0.0, overdue / waiting)
    return max(1, min(HEAT_LEVELS, round(share * HEAT_LEVELS)))


def _text(seconds: int | None) -> str | None:
    return None if seconds is None else format_duration(timedelta(seconds=seconds))


def diagram_heat(user, f: FigureFilters, now: datetime) -> dict:
    """The live figures of every task of the active version, for overlays and the table."""
    require_designer(user)
    version = active_version()
    waiting = waiting_now(f)
    overdue = stats.overdue_now(f, now)["by_phase"]
    times = {row["phase"]: row for row in stats.durations(f)}
    ids = task_ids(version.bpmn_xml)
    most_waiting = max([waiting.get(i, 0) for i in ids] or [0])
    tasks = []
    for bpmn_id in ids:
        n_waiting, n_overdue = waiting.get(bpmn_id, 0), overdue.get(bpmn_id, 0)
        timing = times.get(bpmn_id, {})
        median, p90 = timing.get("median_seconds"), timing.get("p90_seconds")
        tasks.append({"id": bpmn_id, "name": element_label(version.id, bpmn_id, default=bpmn_id),
                      "waiting": n_waiting, "overdue": n_overdue,
                      "completed": timing.get("count", 0),
                      "median_seconds": median, "p90_seconds": p90,
                      "median_text": _text(median), "p90_text": _text(p90),
                      "heat": heat_level(n_waiting, n_overdue, most_waiting)})
    return {"generated_at": now.isoformat(), "filters": f.query_args(),
            "version": {"id": version.id, "process_id": version.process_id,
                        "version": version.version},
            "tasks": tasks}
