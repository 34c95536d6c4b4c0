"""The dashboard's tables: one list of labelled rows per figure, in the reader's language.

The same tables are drawn on the page, sent to its 30-second refresh, charted by Chart.js and
exported to CSV and XLSX, so the numbers beside a chart are always the numbers in the file.
Cells are plain values (text, whole numbers, one-decimal hours and percentages, None).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from flask_babel import gettext as _

from ...extensions import db
from ...i18n import local_datetime, localname
from ...models import Agency, Category, District
from ..administration.sla_settings import phase_label


@dataclass
class Table:
    id: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    chart: dict | None = None  # {"type": "bar"|"line", "label": col, "values": [cols], "stacked"}
    link: int | None = None  # the column holding a tracking code to link to /cases/<code>

    def as_dict(self) -> dict:
        return asdict(self)


class Names:
    """Localised names of agencies, categories and districts by id, read once per request."""

    def __init__(self):
        self.agencies = {a.id: a for a in db.session.scalars(db.select(Agency))}
        self.categories = {c.id: c for c in db.session.scalars(db.select(Category))}
        self.districts = {d.id: d for d in db.session.scalars(db.select(District))}

    def agency(self, agency_id) -> str:
        if agency_id is None:
            return _("Portal (Provincial e-portal)")
        return localname(self.agencies.get(agency_id)) or str(agency_id)

    def next_agency(self, agency_id) -> str:
        return _("not sent on yet") if agency_id is None else self.agency(agency_id)

    def category(self, category_id) -> str:
        return localname(self.categories.get(category_id)) or str(category_id)

    def district(self, district_id) -> str:
        if district_id is None:
            return _("District not given")
        return localname(self.districts.get(district_id)) or str(district_id)


def phase(value) -> str:
    return phase_label(value) if value else _("Not started")


def hours(seconds) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def _day(day) -> str:
    return day.strftime("%d/%m/%Y")


def percent(share) -> float | None:
    return None if share is None else round(share * 100, 1)


def build_tables(figures: dict, names: Names | None = None) -> list[Table]:
    """Every table of the dashboard, in page order."""
    names = names or Names()
    received, open_, overdue = figures["received"], figures["open"], figures["overdue"]
    tables = [
        Table("received", _("Reports received"), [_("When"), _("Reports")],
              [[_("Today"), received["today"]], [_("This week"), received["week"]],
               [_("This month"), received["month"]], [_("In the chosen period"), received["period"]]]),
        Table("open_by_phase", _("Open now by step"), [_("Step"), _("Open reports")],
              [[phase(k), n] for k, n in sorted(open_["by_phase"].items(), key=_by_count)],
              chart={"type": "bar", "label": 0, "values": [1]}),
        Table("open_by_agency", _("Open now by agency"), [_("Agency"), _("Open reports")],
              [[names.agency(k), n] for k, n in sorted(open_["by_agency"].items(), key=_by_count)],
              chart={"type": "bar", "label": 0, "values": [1], "horizontal": True}),
        Table("overdue_by_phase", _("Overdue now by step"), [_("Step"), _("Overdue reports")],
              [[phase(k), n] for k, n in sorted(overdue["by_phase"].items(), key=_by_count)],
              chart={"type": "bar", "label": 0, "values": [1]}),
        Table("overdue_by_agency", _("Overdue now by agency"), [_("Agency"), _("Overdue reports")],
              [[names.agency(k), n] for k, n in sorted(overdue["by_agency"].items(), key=_by_count)],
              chart={"type": "bar", "label": 0, "values": [1], "horizontal": True}),
        Table("on_time", _("Deadlines met, by step and agency"),
              [_("Step"), _("Agency"), _("On time"), _("Late"), _("Late and still open"),
               _("On time (%)")],
              [[phase(r["phase"]), names.agency(r["agency_id"]), r["on_time"], r["late"],
                r["open_late"], percent(r["rate"])] for r in figures["on_time"]],
              chart={"type": "bar", "label": [0, 1], "values": [2, 3], "stacked": True,
                     "horizontal": True}),
        Table("returns", _("Returns by agency"),
              [_("Agency"), _("Reports received"), _("Returned"), _("Returned late"),
               _("Returned (%)")],
              [[names.agency(r["agency_id"]), r["received"], r["returned"], r["late_returns"],
                percent(r["rate"])] for r in figures["returns"]],
              chart={"type": "bar", "label": 0, "values": [1, 2], "horizontal": True}),
        Table("bounces", _("Where returned reports went next"),
              [_("Returned by"), _("Sent next to"), _("Reports")],
              [[names.agency(r["from_agency_id"]), names.next_agency(r["to_agency_id"]), r["count"]]
               for r in figures["bounces"]],
              chart={"type": "bar", "label": [0, 1], "values": [2], "horizontal": True}),
        Table("durations", _("Time per step (hours), approximate: within 9%")
              if figures.get("durations_approximate") else _("Time per step (hours)"),
              [_("Step"), _("Tasks completed"), _("Median (hours)"), _("90th percentile (hours)")],
              [[phase(r["phase"]), r["count"], hours(r["median_seconds"]), hours(r["p90_seconds"])]
               for r in figures["durations"]],
              chart={"type": "bar", "label": 0, "values": [2, 3]}),
        Table("by_category", _("By category"),
              [_("Category"), _("Number received"), _("Still open"), _("Closed")],
              [[names.category(k), v["received"], v["open"], v["closed"]]
               for k, v in sorted(figures["by_category"].items(), key=_by_received)],
              chart={"type": "bar", "label": 0, "values": [1], "horizontal": True}),
        Table("by_district", _("By district"),
              [_("District"), _("Number received"), _("Still open"), _("Closed")],
              [[names.district(k), v["received"], v["open"], v["closed"]]
               for k, v in sorted(figures["by_district"].items(), key=_by_received)],
              chart={"type": "bar", "label": 0, "values": [1], "horizontal": True}),
        Table("trend_day", _("Trend by day"), [_("Local day"), _("Number received"), _("Closed")],
              [[_day(r["day"]), r["received"], r["closed"]] for r in figures["trend"]["day"]],
              chart={"type": "line", "label": 0, "values": [1, 2]}),
        Table("trend_week", _("Trend by week"), [_("Week from"), _("Number received"), _("Closed")],
              [[_day(r["week"]), r["received"], r["closed"]]
               for r in figures["trend"]["week"]],
              chart={"type": "line", "label": 0, "values": [1, 2]}),
        Table("urgent", _("Urgent reports still open"),
              [_("Report"), _("Category"), _("Agency"), _("Step"), _("Received at")],
              [[r["tracking_code"], names.category(r["category_id"]), names.agency(r["agency_id"]),
                phase(r["phase"]), local_datetime(r["created_at"])]
               for r in figures["urgent"]["open_cases"]], link=0),
        Table("worst_open", _("The ten open reports furthest past their deadline"),
              [_("Report"), _("Category"), _("Agency"), _("Step"), _("Deadline"),
               _("Late by (hours)")],
              [[r["tracking_code"], names.category(r["category_id"]), names.agency(r["agency_id"]),
                phase(r["phase"]), local_datetime(r["due_at"]), hours(r["late_seconds"])]
               for r in figures["worst_open"]], link=0),
    ]
    return tables


def _by_count(item):
    key, count = item
    return (-count, str(key))


def _by_received(item):
    key, value = item
    return (-value["received"], str(key))


def table_by_id(tables: list[Table], table_id: str) -> Table | None:
    return next((t for t in tables if t.id == table_id), None)


TABLE_IDS = ("received", "open_by_phase", "open_by_agency", "overdue_by_phase", "overdue_by_agency",
             "on_time", "returns", "bounces", "durations", "by_category", "by_district",
             "trend_day", "trend_week", "urgent", "worst_open")
