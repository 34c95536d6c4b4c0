"""Years of a province's reports, fast: N closed and M open cases cloned from real ones.

    python bench/seed_bulk.py [--closed 1000000] [--open 100000] [--database-url URL]
    python bench/seed_bulk.py --check 20 --no-seed        # complete 20 random open bulk tasks

Destructive on its own target only: it (re)creates the database of --database-url (default the
`bench_bulk` PostgreSQL database on 127.0.0.1), migrates it and seeds the demo province.

How: a few dozen *template* cases are run through the real services (submit, dispatch, return,
re-dispatch, resolve, publish, reject; some steps late, some deadlines fired while the task is
open, so there are breaches), the clock moved with freezegun. Each template ends in a closed,
rejected or open phase (dispatch, handle, publish). Every bulk case is a clone of one template:
its rows in case_file, deadline, work_item, case_assignment, breach and case_event are the
template's rows (read and written through the table metadata) with new ids, a new tracking
code, a district, an address, and every moment shifted by one offset — in the rows and in the
stored workflow state alike (task ids keep their first 24 hex digits and take the case number as
their last 12; ISO moments are shifted; the tracking code is replaced), so an open clone's engine
state loads and its open task completes. Closed clones are spread over three years; open clones
are recent enough that their pending deadlines are still ahead (late templates: their breach
already fired). Rows go in by PostgreSQL COPY (psycopg `cursor.copy`) or, on SQLite, by multi-row
inserts through SQLAlchemy Core, in chunks; foreign-key triggers are off during the PostgreSQL
load (session_replication_role = replica, as pg_restore --disable-triggers does: the rows are
consistent by construction). Prints seconds per table and in total.
"""
from __future__ import annotations

import argparse
import bisect
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_bulk"
# the tables a case's history lives in, parents first (a breach names its deadline)
CLONED_TABLES = ("case_file", "deadline", "work_item", "case_assignment", "breach", "case_event")
OPEN_PHASES = ("dispatch", "handle", "publish")
HISTORY = timedelta(days=3 * 365)
CHUNK = 5000

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TOKEN = re.compile(r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-)[0-9a-f]{12}"
                   r"|(?P<moment>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z))"
                   r"|(?P<code>CM-[A-Z2-9]{4}-[A-Z2-9]{4})")
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # as submission.new_tracking_code

DESCRIPTIONS = {
    "epidemic": ["Nhiều hộ dân có người sốt xuất huyết, đề nghị phun thuốc diệt muỗi",
                 "Heo chết bất thường, nghi dịch tả heo châu Phi"],
    "weather": ["Triều cường dâng cao gây ngập đường vào ấp", "Lốc xoáy làm tốc mái nhà dân"],
    "disaster": ["Sạt lở bờ kè ven sông, nguy hiểm cho người đi đường",
                 "Cây đổ chắn ngang đường sau bão, cần xử lý gấp"],
    "security": ["Nhóm thanh niên tụ tập đua xe trái phép vào ban đêm",
                 "Trộm cắp tài sản xảy ra nhiều lần trong khu dân cư"],
    "health": ["Cơ sở bán thực phẩm không rõ nguồn gốc gần trường học",
               "Trạm y tế xã thiếu thuốc thiết yếu"],
    "suggestion": ["Đề nghị lắp đèn chiếu sáng tuyến đường liên ấp",
                   "Đề nghị sửa cầu khỉ đã xuống cấp"],
    "other": ["Rác thải tồn đọng lâu ngày gây ô nhiễm", "Tiếng ồn từ xưởng cưa kéo dài đến khuya"],
}
RESULT = "Đã kiểm tra hiện trường và phối hợp địa phương xử lý xong."
REPLY = "Cơ quan chức năng đã xử lý phản ánh của bạn. Cảm ơn bạn đã phản ánh."
RETURN_REASON = "Nội dung không thuộc thẩm quyền của đơn vị"
REJECT_REASONS = ("spam", "not_field_report", "insufficient_info")


# -- templates: real cases through the real services --------------------------------------------

@dataclass(frozen=True)
class Plan:
    """A template case: its category, the steps it goes through, how often clones follow it."""

    kind: str  # closed / rejected / open_dispatch / open_handle / open_publish ...
    category: str
    steps: tuple  # ("dispatch", agency, late) ("return", late) ("resolve", late)
                  # ("publish", late) ("reject", reason) ("fire",)
    urgent: bool = False


# how the clones spread over the kinds of history (each kind's share split among its templates)
CLOSED_MIX = {"closed": 0.72, "closed_returned": 0.10, "rejected": 0.18}
OPEN_MIX = {"open_dispatch": 0.25, "open_handle": 0.45, "open_handle_returned": 0.10,
            "open_publish": 0.20}


def plans(agencies: list[str], categories: list[str]) -> list[Plan]:
    """Every agency and category, every open phase, some late, some returned and re-dispatched."""
    out = []
    n = max(len(agencies), len(categories))
    for i in range(n):
        agency, other = agencies[i % len(agencies)], agencies[(i + 1) % len(agencies)]
        category = categories[i % len(categories)]
        late = i % 3  # 0: on time; 1: the dispatch is late; 2: the handling is late
        urgent = i % 4 == 0
        out.append(Plan("closed", category, (("dispatch", agency, late == 1),
                                             ("resolve", late == 2), ("publish", False)), urgent))
        out.append(Plan("closed_returned", category, (
            ("dispatch", agency, False), ("return", late == 2), ("dispatch", other, late == 1),
            ("resolve", False), ("publish", False))))
        out.append(Plan("open_handle", category, (("dispatch", agency, late == 1),)
                        + ((("fire",),) if late == 2 else ()), urgent))
        out.append(Plan("open_publish", category, (("dispatch", agency, False),
                                                   ("resolve", late == 2))))
        if i % 2 == 0:
            out.append(Plan("open_handle_returned", category, (
                ("dispatch", agency, False), ("return", False), ("dispatch", other, late == 1))))
    for i, category in enumerate(categories):
        out.append(Plan("open_dispatch", category, (("fire",),) if i % 3 == 1 else ()))
        out.append(Plan("rejected", category,
                        (("reject", REJECT_REASONS[i % len(REJECT_REASONS)]),)))
    return out


def _soonest_pending_due(case_id: int):
    from caseapp.extensions import db
    from caseapp.models import Deadline
    return db.session.scalar(db.select(db.func.min(Deadline.due_at)).where(
        Deadline.case_id == case_id, Deadline.state == "pending"))


def _open_item(case_id: int):
    from caseapp.extensions import db
    from caseapp.models import WorkItem
    return db.session.scalars(db.select(WorkItem).where(
        WorkItem.case_id == case_id, WorkItem.state == "open")).one()


def build_template(plan: Plan, start: datetime, rng: random.Random) -> int:
    """Run one plan through the services with the clock moved step by step; the case id."""
    from freezegun import freeze_time
    from caseapp.extensions import db
    from caseapp.models import User
    from caseapp.services.cases import tasks
    from caseapp.services.cases.deadlines import fire_case_deadlines
    from caseapp.services.cases.submission import submit_report

    report = {"full_name": "Nguyễn Thị Lan", "phone": f"09{rng.randrange(10**8):08d}",
              "category": plan.category, "urgent": plan.urgent,
              "description": DESCRIPTIONS.get(plan.category, DESCRIPTIONS["other"])[0],
              "address": "Ấp 3, xã Tân Thành"}
    clock = start
    with freeze_time(clock):
        case_id = submit_report(report)[0].id
    agency = None
    for step in plan.steps:
        due = _soonest_pending_due(case_id)
        if step[0] == "fire":
            clock = due + timedelta(minutes=5)
            with freeze_time(clock):
                fire_case_deadlines(case_id)
            continue
        late = step[-1] if isinstance(step[-1], bool) else False
        if due is None:
            clock += timedelta(hours=2)
        elif late:
            clock = due + timedelta(hours=rng.uniform(1, 30))
        else:
            clock += (due - clock) * rng.uniform(0.2, 0.8)
        if step[0] == "dispatch":
            agency = step[1]
            user, data = "operator", {"action": "dispatch", "agency": agency,
                                      "urgent": plan.urgent}
        elif step[0] == "reject":
            user, data = "operator", {"action": "reject", "reject_reason": step[1]}
        elif step[0] == "return":
            user, data = f"officer.{agency}", {"action": "return", "return_reason": RETURN_REASON}
        elif step[0] == "resolve":
            user, data = f"officer.{agency}", {"action": "resolve", "result": RESULT}
        else:
            user, data = "operator", {"public_response": REPLY}
        with freeze_time(clock):
            actor = db.session.scalars(db.select(User).where(User.username == user)).one()
            tasks.complete(actor, _open_item(case_id).id, data)
    db.session.remove()
    return case_id


# -- cloning: a template's rows, compiled once, rendered per clone ---------------------------------

class TextPattern:
    """A text with slots: task-id tails (the clone's number), ISO moments (shifted) and the
    template's tracking code (the clone's)."""

    def __init__(self, text: str, code: str):
        # segments hold the text between moments and codes, split at the task-id tails, so a
        # clone renders a segment with one join of its tail
        self.segments, self.slots = [[]], []  # slots: "code" or a datetime, between segments
        pos = 0
        for match in TOKEN.finditer(text):
            if match.group("code") is not None and match.group("code") != code:
                continue  # another case's code (a duplicate's original) stays
            if match.group("uuid") is not None:
                self.segments[-1].append(text[pos:match.end("uuid")])
            else:
                self.segments[-1].append(text[pos:match.start()])
                self.slots.append(datetime.fromisoformat(match.group("moment"))
                                  if match.group("moment") is not None else "code")
                self.segments.append([])
            pos = match.end()
        self.segments[-1].append(text[pos:])

    def render(self, tail: str, delta: timedelta, code: str) -> str:
        out = [tail.join(self.segments[0])]
        for slot, segment in zip(self.slots, self.segments[1:]):
            out.append(code if slot == "code" else (slot + delta).isoformat())
            out.append(tail.join(segment))
        return "".join(out)


@dataclass
class TemplateRows:
    """One template case compiled: per table, rows of constants with the slots a clone fills."""

    plan: Plan
    case_id: int
    phase: str | None
    status: str
    earliest: datetime  # the first moment in its rows
    latest: datetime  # the last moment in its rows
    soonest_pending_due: datetime | None
    rows: dict = field(default_factory=dict)  # table -> [(old_id, consts, [(i, kind, arg)])]


CASE_OVERRIDES = ("tracking_code", "idempotency_key", "district_id", "description", "address",
                  "lat", "lon")


def _processors(table, dialect) -> dict:
    """Each column's bind processor, for values that bypass SQLAlchemy (COPY)."""
    from sqlalchemy.types import JSON
    out = {}
    for column in table.columns:
        if isinstance(column.type, JSON):
            out[column.name] = None  # rendered as JSON text already
        else:
            out[column.name] = column.type.bind_processor(dialect)
    return out


def compile_template(plan: Plan, case_id: int, tables: dict, copy_dialect) -> TemplateRows:
    """Read a template's rows through the metadata and mark what each clone changes."""
    from sqlalchemy.types import JSON
    from caseapp.extensions import db
    from caseapp.models.types import UTCDateTime
    case_table = tables["case_file"]
    case = db.session.execute(case_table.select().where(case_table.c.id == case_id)).mappings().one()
    code = case["tracking_code"]
    compiled = TemplateRows(plan, case_id, case["phase"], case["status"], case["created_at"],
                            case["created_at"], None)
    moments = []
    for name in CLONED_TABLES:
        table = tables[name]
        processors = _processors(table, copy_dialect) if copy_dialect is not None else {}
        key = table.c.id if name == "case_file" else table.c.case_id
        rows = db.session.execute(table.select().where(key == case_id).order_by(table.c.id)).mappings()
        out = []
        for row in rows:
            consts, slots = [], []
            for i, column in enumerate(table.columns):
                value = row[column.name]
                const = value
                target = next(iter(column.foreign_keys)).column.table.name \
                    if column.foreign_keys else None
                if column.primary_key:
                    slots.append((i, "id", None) if isinstance(value, int)
                                 else (i, "tail", value[:24]))
                elif target in CLONED_TABLES and value is not None:
                    slots.append((i, "ref", (target, value)))
                elif name == "case_file" and column.name in CASE_OVERRIDES:
                    slots.append((i, "override", (column.name, processors.get(column.name))))
                elif isinstance(column.type, UTCDateTime) and value is not None:
                    if column.name != "due_at":  # what happened, not what is due
                        moments.append(value)
                    slots.append((i, "time", value))
                elif isinstance(value, str) and UUID.fullmatch(value):
                    slots.append((i, "tail", value[:24]))
                elif isinstance(column.type, JSON):
                    text = json.dumps(value, ensure_ascii=False)
                    if TOKEN.search(text):
                        slots.append((i, "json", TextPattern(text, code)))
                    elif copy_dialect is not None:
                        const = text  # COPY takes JSON as text
                elif isinstance(value, str) and TOKEN.search(value):
                    slots.append((i, "text", (TextPattern(value, code),
                                              processors.get(column.name))))
                elif processors.get(column.name) is not None:
                    const = processors[column.name](value)
                consts.append(const)
            out.append((row["id"], consts, slots))
            if name == "deadline" and row["state"] == "pending":
                due = row["due_at"]
                if compiled.soonest_pending_due is None or due < compiled.soonest_pending_due:
                    compiled.soonest_pending_due = due
        compiled.rows[name] = out
    compiled.earliest, compiled.latest = min(moments), max(moments)
    return compiled


def _tracking_code(number: int) -> str:
    """A unique code per case number, scattered over the code space like random ones."""
    value = (number * 48_271_977 + 7_654_321) % (31 ** 8)
    chars = []
    for _ in range(8):
        value, digit = divmod(value, 31)
        chars.append(CODE_ALPHABET[digit])
    body = "".join(chars)
    return f"CM-{body[:4]}-{body[4:]}"


def _case_overrides(template: TemplateRows, code: str, districts: list[int],
                    rng: random.Random) -> dict:
    """What is the clone's own: code, district, description, address, position."""
    descriptions = DESCRIPTIONS.get(template.plan.category, DESCRIPTIONS["other"])
    return {"tracking_code": code, "idempotency_key": None,
            "district_id": rng.choice(districts) if districts else None,
            "description": rng.choice(descriptions),
            "address": f"Ấp {rng.randint(1, 12)}, số nhà {rng.randint(1, 400)}",
            "lat": round(rng.uniform(8.6, 9.5), 5), "lon": round(rng.uniform(104.8, 105.4), 5)}


class Cloner:
    """Renders clones of compiled templates into per-table row lists."""

    def __init__(self, tables: dict, next_ids: dict, districts: list[int], json_as_text: bool,
                 rng: random.Random, taken_codes: set[str]):
        self.tables, self.next_ids, self.districts = tables, next_ids, districts
        self.json_as_text, self.rng, self.taken_codes = json_as_text, rng, taken_codes
        self.rows = defaultdict(list)

    def clone(self, template: TemplateRows, delta: timedelta) -> int:
        rng = self.rng
        case_number = self.next_ids["case_file"]
        tail = f"{case_number:012x}"
        code = _tracking_code(case_number)
        while code in self.taken_codes:  # a template's random code: practically never
            code = _tracking_code(case_number + rng.randrange(1, 31 ** 7))
        overrides = _case_overrides(template, code, self.districts, rng)
        ids = {}
        for name in CLONED_TABLES:
            out = self.rows[name]
            for old_id, consts, slots in template.rows[name]:
                row = list(consts)
                for i, kind, arg in slots:
                    if kind == "time":
                        row[i] = arg + delta
                    elif kind == "id":
                        row[i] = ids[(name, old_id)] = self.next_ids[name]
                        self.next_ids[name] += 1
                    elif kind == "ref":
                        row[i] = ids[arg]
                    elif kind == "tail":
                        row[i] = arg + tail
                    elif kind == "override":
                        value = overrides[arg[0]]
                        row[i] = arg[1](value) if arg[1] is not None and value is not None \
                            else value
                    elif kind == "json":
                        text = arg.render(tail, delta, code)
                        row[i] = text if self.json_as_text else json.loads(text)
                    else:  # text
                        pattern, processor = arg
                        text = pattern.render(tail, delta, code)
                        row[i] = processor(text) if processor is not None else text
                out.append(row)
        return case_number

    def take(self) -> dict:
        rows, self.rows = self.rows, defaultdict(list)
        return rows


# -- PostgreSQL: a template's rows as COPY text, rendered per clone with joins --------------------

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value) -> str:
    """A value in COPY's text format (PostgreSQL documents it: \\N, t/f, backslash escapes)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    return str(value).translate(_COPY_ESCAPES)


class LinePattern:
    """The COPY lines of one table of a template: constant text, task-id tails (joined in),
    and slots a clone fills (new ids, shifted moments, its code and its own fields)."""

    def __init__(self, moments: dict):
        self.segments, self.slots = [[""]], []
        self.moments = moments  # the template's distinct moments -> their index, shared

    def moment(self, value: datetime) -> None:
        self.slot(("moment", self.moments.setdefault(value, len(self.moments))))

    def text(self, value: str) -> None:
        self.segments[-1][-1] += value

    def tail(self) -> None:
        self.segments[-1].append("")

    def slot(self, slot: tuple) -> None:
        self.slots.append(slot)
        self.segments.append([""])

    def pattern(self, pattern: TextPattern) -> None:
        """Inline a text pattern: its pieces escaped once, its slots become line slots."""
        for index, segment in enumerate(pattern.segments):
            for k, piece in enumerate(segment):
                if k:
                    self.tail()
                self.text(piece.translate(_COPY_ESCAPES))
            if index < len(pattern.slots):
                moment = pattern.slots[index]
                if moment == "code":
                    self.slot(("code",))
                else:
                    self.moment(moment)

    def render(self, tail: str, moments: list, delta: timedelta, code: str, ids: dict,
               overrides: dict) -> str:
        """`moments`: the template's moments shifted, as text, in the order of their index."""
        segments = self.segments
        out = [tail.join(segments[0])]
        for slot, segment in zip(self.slots, segments[1:]):
            kind = slot[0]
            if kind == "id":
                out.append(str(ids[slot[1]] + slot[2]))
            elif kind == "moment":
                out.append(moments[slot[1]])
            elif kind == "code":
                out.append(code)
            elif kind == "override":
                out.append(overrides[slot[1]])
            else:  # a text whose column type processes it: rendered whole
                pattern, processor = slot[1], slot[2]
                out.append(copy_text(processor(pattern.render(tail, delta, code))))
            out.append(segment if segment.__class__ is str else tail.join(segment))
        return "".join(out)

    def finish(self) -> LinePattern:
        """Segments without a tail become plain strings (most of them): no join per clone."""
        self.segments = [segment[0] if len(segment) == 1 else segment
                         for segment in self.segments]
        self.segments[0] = [self.segments[0]] if isinstance(self.segments[0], str) \
            else self.segments[0]
        return self


def line_patterns(template: TemplateRows) -> tuple[dict, list]:
    """Per table, the template's rows as one LinePattern (or None when it has no rows), and
    the template's distinct moments (each clone formats each of them once)."""
    index_of = {(name, old_id): j for name in CLONED_TABLES
                for j, (old_id, _, _) in enumerate(template.rows[name])}
    patterns, moments = {}, {}
    for name in CLONED_TABLES:
        line = LinePattern(moments)
        for j, (old_id, consts, slots) in enumerate(template.rows[name]):
            by_column = {i: (kind, arg) for i, kind, arg in slots}
            for i, const in enumerate(consts):
                if i:
                    line.text("\t")
                kind, arg = by_column.get(i, ("const", const))
                if kind == "const":
                    line.text(copy_text(const))
                elif kind == "id":
                    line.slot(("id", name, j))
                elif kind == "ref":
                    line.slot(("id", arg[0], index_of[arg]))
                elif kind == "time":
                    line.moment(arg)
                elif kind == "tail":
                    line.text(arg)
                    line.tail()
                elif kind == "override":
                    line.slot(("override", arg[0]))
                elif kind == "json" or (kind == "text" and arg[1] is None):
                    line.pattern(arg if kind == "json" else arg[0])
                else:
                    line.slot(("pattern", arg[0], arg[1]))
            line.text("\n")
        patterns[name] = line.finish() if template.rows[name] else None
    return patterns, list(moments)


class LineCloner:
    """Renders clones as COPY text per table (PostgreSQL)."""

    def __init__(self, tables: dict, next_ids: dict, districts: list[int], rng: random.Random,
                 taken_codes: set[str], dialect):
        self.next_ids, self.districts, self.rng = next_ids, districts, rng
        self.taken_codes = taken_codes
        self.processors = _processors(tables["case_file"], dialect)
        self.lines = defaultdict(list)
        self.patterns = {}

    def clone(self, template: TemplateRows, delta: timedelta) -> int:
        compiled = self.patterns.get(template.case_id)
        if compiled is None:
            compiled = self.patterns[template.case_id] = line_patterns(template)
        patterns, moments = compiled
        shifted = [(moment + delta).isoformat() for moment in moments]
        rng = self.rng
        case_number = self.next_ids["case_file"]
        tail = f"{case_number:012x}"
        code = _tracking_code(case_number)
        while code in self.taken_codes:  # a template's random code: practically never
            code = _tracking_code(case_number + rng.randrange(1, 31 ** 7))
        overrides = {}
        for name, value in _case_overrides(template, code, self.districts, rng).items():
            processor = self.processors.get(name)
            overrides[name] = copy_text(processor(value) if processor and value is not None
                                        else value)
        ids = dict(self.next_ids)
        for name in CLONED_TABLES:
            pattern = patterns[name]
            if pattern is not None:
                self.lines[name].append(pattern.render(tail, shifted, delta, code, ids,
                                                       overrides))
                if name in self.next_ids:
                    self.next_ids[name] += len(template.rows[name])
        return case_number

    def take(self) -> dict:
        lines, self.lines = self.lines, defaultdict(list)
        return {name: "".join(chunk) for name, chunk in lines.items()}


# -- writing ------------------------------------------------------------------------------------

class Writer:
    """COPY on PostgreSQL, multi-row Core inserts elsewhere; seconds spent per table."""

    def __init__(self, engine, tables: dict):
        self.engine, self.tables = engine, tables
        self.postgres = engine.dialect.name == "postgresql"
        self.seconds = Counter()
        self.counts = Counter()

    def write(self, rows_by_table: dict) -> None:
        with self.engine.begin() as conn:
            if self.postgres:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                # workflow states are ~12 kB of JSON each: lz4 compresses them several times
                # faster than the default pglz (PostgreSQL reads both)
                conn.exec_driver_sql("SET LOCAL default_toast_compression = lz4")
            for name in CLONED_TABLES:
                rows = rows_by_table.get(name) or []
                if not rows:
                    continue
                started = time.perf_counter()
                table = self.tables[name]
                if self.postgres:  # rows: the chunk's COPY text
                    columns = ", ".join(conn.dialect.identifier_preparer.quote(c.name)
                                        for c in table.columns)
                    cursor = conn.connection.driver_connection.cursor()
                    with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                        copy.write(rows)
                    self.counts[name] += rows.count("\n")
                    self.seconds[name] += time.perf_counter() - started
                    continue
                else:
                    names = [c.name for c in table.columns]
                    for start in range(0, len(rows), 500):
                        conn.execute(table.insert(), [dict(zip(names, row))
                                                      for row in rows[start:start + 500]])
                self.seconds[name] += time.perf_counter() - started
                self.counts[name] += len(rows)

    def drop_indexes(self) -> None:
        """A bulk load into PostgreSQL builds the plain (non-unique) indexes once, at the end."""
        if self.postgres:
            with self.engine.begin() as conn:
                for name in CLONED_TABLES:
                    for index in self.tables[name].indexes:
                        if not index.unique:
                            index.drop(conn, checkfirst=True)

    def create_indexes(self) -> None:
        started = time.perf_counter()
        if self.postgres:
            with self.engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
                for name in CLONED_TABLES:
                    for index in self.tables[name].indexes:
                        if not index.unique:
                            index.create(conn, checkfirst=True)
        self.seconds["(indexes)"] += time.perf_counter() - started

    def finish(self) -> None:
        """Sequences past the new ids and planner statistics, as a live database has them."""
        self.create_indexes()
        started = time.perf_counter()
        if self.postgres:
            with self.engine.begin() as conn:
                for name in CLONED_TABLES:
                    table = self.tables[name]
                    if table.c.id.type.python_type is int:
                        conn.exec_driver_sql(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"(SELECT max(id) FROM {name}))")
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                # what autovacuum does to a live database: the visibility map lets the task
                # lists count and page open items from their indexes alone
                conn.exec_driver_sql("VACUUM (ANALYZE) work_item, deadline")
                conn.exec_driver_sql("ANALYZE")
        self.seconds["(sequences, analyze)"] += time.perf_counter() - started


# -- the seed -------------------------------------------------------------------------------------

def _spread(kinds: dict, templates: list[TemplateRows], count: int, rng: random.Random):
    """`count` template picks following the mix; each kind's share split among its templates."""
    by_kind = defaultdict(list)
    for template in templates:
        by_kind[template.plan.kind].append(template)
    choices, weights = [], []
    for kind, share in kinds.items():
        for template in by_kind.get(kind, []):
            choices.append(template)
            weights.append(share / len(by_kind[kind]))
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    for _ in range(count):
        yield choices[min(len(choices) - 1, bisect.bisect(cumulative, rng.random() * total))]


def _delta(template: TemplateRows, now: datetime, rng: random.Random) -> timedelta:
    """Where a clone sits in time: its last moment before now; an open clone's pending
    deadlines still ahead; a closed one anywhere in the last three years."""
    latest = now - template.latest  # the largest shift: the template's last moment is now
    if template.status != "open":
        earliest = now - HISTORY - template.earliest
    elif template.soonest_pending_due is not None:
        earliest = now - template.soonest_pending_due + timedelta(seconds=60)
    else:  # an open case whose deadline fired: waiting for weeks at most
        earliest = latest - timedelta(days=60)
    earliest = min(earliest, latest)
    return earliest + (latest - earliest) * rng.random()


def bulk_seed(closed: int, open_: int, now: datetime | None = None, seed: int = 11,
              chunk: int = CHUNK, log=print) -> dict:
    """Seed `closed` + `open_` cases into the app's database (demo province already seeded);
    returns the seconds per table and the number of templates."""
    from caseapp.extensions import db
    from caseapp.models import Agency, Category, District
    started = time.perf_counter()
    now = now or datetime.now(timezone.utc)
    warm_calendar(now)
    rng = random.Random(seed)
    tables = {name: db.metadata.tables[name] for name in CLONED_TABLES}
    engine = db.engine
    postgres = engine.dialect.name == "postgresql"
    agencies = list(db.session.scalars(db.select(Agency.code).where(Agency.active).order_by(Agency.id)))
    categories = list(db.session.scalars(db.select(Category.code).where(Category.active)
                                         .order_by(Category.sort)))
    districts = list(db.session.scalars(db.select(District.id).where(District.active)))
    db.session.remove()

    template_start = now - HISTORY - timedelta(days=30)
    template_ids = [(plan, build_template(plan, template_start, rng))
                    for plan in plans(agencies, categories)]
    copy_dialect = engine.dialect if postgres else None
    templates = [compile_template(plan, case_id, tables, copy_dialect)
                 for plan, case_id in template_ids]
    taken_codes = set(db.session.scalars(db.select(tables["case_file"].c.tracking_code)))
    next_ids = {}
    for name in CLONED_TABLES:
        if tables[name].c.id.type.python_type is int:
            next_ids[name] = (db.session.scalar(db.select(db.func.max(tables[name].c.id))) or 0) + 1
    db.session.remove()
    seconds = {"templates": time.perf_counter() - started}
    log(f"{len(templates)} template cases through the services in {seconds['templates']:.1f}s "
        f"({len(agencies)} agencies, {len(categories)} categories, {len(districts)} districts)")

    first_case_id = next_ids["case_file"]
    cloner = (LineCloner(tables, next_ids, districts, rng, taken_codes, engine.dialect) if postgres
              else Cloner(tables, next_ids, districts, False, rng, taken_codes))
    writer = Writer(engine, tables)
    writer.drop_indexes()
    generating = 0.0
    done = 0
    phases = Counter()
    # on PostgreSQL one chunk is written (COPY, in a thread that mostly waits on the socket)
    # while the next is generated; SQLite writes in this thread
    pool = ThreadPoolExecutor(max_workers=1) if postgres else None
    pending = None

    def flush() -> None:
        nonlocal pending
        rows = cloner.take()
        if pending is not None:
            pending.result()
        pending = pool.submit(writer.write, rows) if pool else writer.write(rows)

    for mix, count in ((CLOSED_MIX, closed), (OPEN_MIX, open_)):
        for template in _spread(mix, templates, count, rng):
            tick = time.perf_counter()
            cloner.clone(template, _delta(template, now, rng))
            generating += time.perf_counter() - tick
            phases[template.phase if template.status == "open" else template.status] += 1
            done += 1
            if done % chunk == 0:
                flush()
                if done % (chunk * 20) == 0:
                    log(f"  {done} cases, {time.perf_counter() - started:.0f}s", flush=True)
        flush()
    if pending is not None:
        pending.result()
        pool.shutdown()
    writer.finish()
    seconds["generating rows (python, overlaps the writes)"] = generating
    seconds.update({f"write {name}": value for name, value in writer.seconds.items()})
    seconds["total"] = time.perf_counter() - started
    return {"seconds": seconds, "rows": dict(writer.counts), "phases": dict(phases),
            "templates": len(templates), "first_case_id": first_case_id}


# -- the check: random open bulk cases, their state loaded, their task completed ---------------

def completion_data(item, case) -> dict:
    """A valid submission for the built-in steps of the bundled process."""
    from caseapp.extensions import db
    from caseapp.models import Agency
    if item.form_key == "dispatch":
        agency = db.session.scalars(db.select(Agency.code).where(Agency.active)
                                    .order_by(Agency.id)).first()
        return {"action": "dispatch", "agency": agency, "urgent": False}
    if item.form_key == "handle":
        return {"action": "resolve", "result": RESULT}
    return {"public_response": REPLY}


def user_for(item):
    """Someone whose queue holds the item."""
    from caseapp.extensions import db
    from caseapp.models import User
    from caseapp.services.access import can_work_item
    for user in db.session.scalars(db.select(User).where(User.active).order_by(User.id)):
        if can_work_item(user, item):
            return user
    raise LookupError(f"nobody may work item {item.id}")


def check(sample: int, seed: int = 11, per_phase: bool = False, first_case_id: int = 0,
          log=print) -> Counter:
    """Load the engine state of random open cases (ids from `first_case_id`: the bulk ones)
    and complete their open task through the service; how many per phase."""
    from caseapp.extensions import db
    from caseapp.models import Case, WorkItem
    from caseapp.services.administration.processes import runner_for
    from caseapp.services.cases import tasks
    rng = random.Random(seed)
    done = Counter()
    picked = []  # all picked first: a case completed here moves on to the next phase
    for phase in OPEN_PHASES if per_phase else (None,):
        query = db.select(Case.id).where(Case.status == "open", Case.id >= first_case_id)
        if phase:
            query = query.where(Case.phase == phase)
        ids = list(db.session.scalars(query))
        picked += rng.sample(ids, min(sample, len(ids)))
    for case_id in picked:
        case = db.session.get(Case, case_id)
        snapshot = runner_for(case.process_version_id).inspect(case.workflow_state)
        item = db.session.scalars(db.select(WorkItem).where(
            WorkItem.case_id == case_id, WorkItem.state == "open")).one()
        assert [t.task_id for t in snapshot.ready_tasks] == [item.id], case.tracking_code
        started = time.perf_counter()
        after = tasks.complete(user_for(item), item.id, completion_data(item, case))
        done[item.bpmn_id] += 1
        log(f"  {case.tracking_code}: {item.bpmn_id} completed in "
            f"{(time.perf_counter() - started) * 1000:.1f} ms -> {after.phase or after.status}")
        db.session.remove()
    return done


# -- the command ----------------------------------------------------------------------------------

def recreate_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        if parsed.database and Path(parsed.database).exists():
            Path(parsed.database).unlink()
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}" TEMPLATE template0 '
                          "ENCODING 'UTF8'"))
    admin.dispose()


def make_app(url: str):
    from caseapp import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None,
                       "RATELIMIT_ENABLED": False, "EMBEDDED_SWEEPER": False})


def warm_calendar(now: datetime) -> None:
    """Load the holiday tables before any script runs: the `holidays` package imports its
    country registry on first use (~1 s here), which a sandboxed sla_due() would pay inside
    its 1 s time limit."""
    from caseapp.calendar.days import public_holiday_name
    for year in range(now.year - 4, now.year + 2):
        public_holiday_name(now.replace(year=year, month=1, day=1).date())


def roll_up_figures() -> float:
    """Fill the dashboard's daily rollup for every past day, as the periodic job would have
    (caseapp.services.figures.rollup); its seconds."""
    from caseapp.services.figures.rollup import rebuild
    started = time.perf_counter()
    days = rebuild(intraday=True)  # today so far too, as the periodic job keeps it
    seconds = round(time.perf_counter() - started, 1)
    print(f"{'rollup (' + str(days) + ' days)':32s} {seconds:8.1f} s", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--closed", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--password", default="bench", help="of the demo accounts")
    parser.add_argument("--seed", type=int, default=11, help="random seed")
    parser.add_argument("--check", type=int, default=3,
                        help="afterwards, complete the open task of this many random open bulk "
                             "cases per open phase through the service (0: none)")
    parser.add_argument("--no-seed", action="store_true",
                        help="only the check, on an existing bulk database")
    args = parser.parse_args()
    from caseapp.extensions import db
    if not args.no_seed:
        recreate_database(args.database_url)
    app = make_app(args.database_url)
    with app.app_context():
        if not args.no_seed:
            from flask_migrate import upgrade
            from caseapp.services.administration.seed import seed_demo
            upgrade()
            warm_calendar(datetime.now(timezone.utc))
            seed_demo(args.password)
            db.session.remove()
            result = bulk_seed(args.closed, args.open, seed=args.seed,
                               log=lambda *a, **k: print(*a, flush=True))
            for name, value in result["seconds"].items():
                print(f"{name:32s} {value:8.1f} s")
            print("rows:", json.dumps(result["rows"]))
            print("cases:", json.dumps(result["phases"]))
            result["rollup_seconds"] = roll_up_figures()
        if args.check:
            done = check(args.check, args.seed, per_phase=True,
                         first_case_id=0 if args.no_seed else result["first_case_id"])
            print("check: completed", dict(done))
        if not args.no_seed:
            print(json.dumps({"closed": args.closed, "open": args.open,
                              "seconds": round(result["seconds"]["total"], 1),
                              "rows": sum(result["rows"].values()),
                              "rollup_seconds": result["rollup_seconds"]}))
        db.engine.dispose()


if __name__ == "__main__":
    main()
