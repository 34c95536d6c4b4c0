"""Dashboard tables and the case register as CSV (UTF-8 with BOM) and XLSX, streamed.

The BOM makes spreadsheet programs read the Vietnamese text as UTF-8. Text a spreadsheet would
run as a formula (starting with = + - @, a tab or a carriage return: citizens type the
descriptions) is written as text: with a leading apostrophe in CSV, as a string cell in XLSX.

The register is read in batches of cases by id (keyset paging), with one query per batch for
the agencies each case went through and one for its duties met and missed, so an export of a
whole year streams in constant memory and never loads cases one by one. XLSX is written by
openpyxl's write-only workbook into a spooled temporary file, then streamed.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections import defaultdict
from typing import Iterable, Iterator

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy.orm import lazyload, load_only

from ...extensions import db
from ...i18n import label_for, local_datetime
from ...models import Case, CaseAssignment, WorkItem, utcnow
from ..privacy.disclosure import show_identities
from .filters import FigureFilters, sees_identity_in_register
from .stats import _case_conditions, duty_outcomes
from .tables import Names, phase

BATCH = 1000
CHUNK = 64 * 1024
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _as_text(value):
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value


def csv_stream(columns: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text in chunks: a BOM, the header, the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if cell is None else _as_text(cell) for cell in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_stream(title: str, columns: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    """An XLSX workbook of one sheet, built in constant memory, in chunks."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.append(columns)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, cell) for cell in row])
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as out:
        workbook.save(out)
        out.seek(0)
        while chunk := out.read(CHUNK):
            yield chunk


def _xlsx_cell(sheet, value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # text, never a formula
        return cell
    return value


def _sheet_title(title: str) -> str:
    """Excel's sheet names: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "Sheet")[:31]


def filename(stem: str, f: FigureFilters, extension: str) -> str:
    return f"{stem}_{f.first_day.isoformat()}_{f.last_day.isoformat()}.{extension}"


# ---- the case register ----------------------------------------------------------------------------

def register_columns(user) -> list[str]:
    columns = [_("Tracking code"), _("Received at"), _("Category"), _("District"), _("Address"),
               _("Report description"), _("Urgent"), _("Status"), _("Current step"), _("Agencies (in order)"),
               _("Current agency"), _("Times returned"), _("Deadlines met"), _("Deadlines missed"),
               _("Closed at"), _("Agency's result"), _("Reply to the reporter"),
               _("Reason for rejecting")]
    if sees_identity_in_register(user):
        columns += [_("Reporter's name"), _("Reporter's phone"), _("Reporter's e-mail")]
    return columns


def register_rows(user, f: FigureFilters, batch: int = BATCH) -> Iterator[list]:
    """Every report received in the period (within the user's scope), with how it was handled."""
    now = utcnow()
    names = Names()
    identity = sees_identity_in_register(user)
    urgent = _("urgent")
    last_id = 0
    while True:
        cases = db.session.execute(
            db.select(Case.id, Case.tracking_code, Case.created_at, Case.category_id,
                      Case.district_id, Case.address, Case.description, Case.urgent, Case.status,
                      Case.phase, Case.current_agency_id, Case.return_count, Case.closed_at,
                      Case.resolution, Case.public_response, Case.reject_reason)
            .where(Case.created_at >= f.start, Case.created_at < f.end, Case.id > last_id,
                   *_case_conditions(f))
            .order_by(Case.id).limit(batch)).all()
        if not cases:
            return
        ids = [c.id for c in cases]
        paths = _agency_paths(ids, names)
        duties = _duties_met_and_missed(ids, now)
        identities = _identities(user, ids) if identity else {}
        for c in cases:
            met, missed = duties.get(c.id, (0, 0))
            row = [c.tracking_code, local_datetime(c.created_at), names.category(c.category_id),
                   names.district(c.district_id) if c.district_id else "", c.address or "",
                   c.description, urgent if c.urgent else "", label_for("status", c.status),
                   phase(c.phase) if c.status == "open" else "", paths.get(c.id, ""),
                   names.agency(c.current_agency_id) if c.current_agency_id else "",
                   c.return_count, met, missed, local_datetime(c.closed_at), c.resolution or "",
                   c.public_response or "",
                   label_for("reject_reason", c.reject_reason) if c.reject_reason else ""]
            if identity:
                shown = identities.get(c.id) or {}
                row += [shown.get("full_name") or "", shown.get("phone") or "",
                        shown.get("email") or ""]
            yield row
        last_id = ids[-1]
        db.session.rollback()  # end the batch's read transaction; nothing is held between batches


def _agency_paths(case_ids: list[int], names: Names) -> dict[int, str]:
    """Case id → "agency (outcome) → agency (outcome)" in the order it was sent."""
    parts: dict[int, list[str]] = defaultdict(list)
    for case_id, agency_id, outcome in db.session.execute(
            db.select(CaseAssignment.case_id, CaseAssignment.agency_id, CaseAssignment.outcome)
            .where(CaseAssignment.case_id.in_(case_ids))
            .order_by(CaseAssignment.case_id, CaseAssignment.seq)):
        parts[case_id].append(f"{names.agency(agency_id)} ({label_for('outcome', outcome)})")
    return {case_id: " → ".join(items) for case_id, items in parts.items()}


def _duties_met_and_missed(case_ids: list[int], now) -> dict[int, tuple[int, int]]:
    """Case id → (duties met on time, duties missed), as the on-time figures count them."""
    met, late, _open_late = duty_outcomes(now)
    rows = db.session.execute(
        db.select(WorkItem.case_id,
                  db.func.sum(db.case((met, 1), else_=0)),
                  db.func.sum(db.case((late, 1), else_=0)))
        .where(WorkItem.case_id.in_(case_ids), WorkItem.due_at.is_not(None))
        .group_by(WorkItem.case_id))
    return {case_id: (int(m or 0), int(x or 0)) for case_id, m, x in rows}


def _identities(user, case_ids: list[int]) -> dict[int, dict | None]:
    """The reporters' identities through the privacy rules, each showing recorded."""
    cases = list(db.session.scalars(
        db.select(Case).options(load_only(Case.id, Case.phase, Case.reporter_name,
                                          Case.reporter_phone, Case.reporter_email,
                                          Case.consent_share_identity, Case.current_agency_id),
                                lazyload("*"))
        .where(Case.id.in_(case_ids))))
    return show_identities(user, cases, channel="export")
