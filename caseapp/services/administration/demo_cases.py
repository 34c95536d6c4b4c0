"""Demo cases in every phase, so that a new installation shows the product working.

Every demo case is a real case, built by the real commands (submit, dispatch, handle or return,
publish) in order. Between two commands the case's history is moved into the past by the time
that separates them (`move_into_past`): every timestamp of the case, and its pending deadlines
recomputed from their moved start through the engine (`reschedule_timers`, as a calendar change
does), so a deadline that is now past fires on the ordinary path — a breach, the leader's
notification, the "deadline passed" event —, each dated when the deadline fell due, as the
sweeper would have fired it. The engine state loads and the open tasks complete
like any other. No clock is faked.

Idempotent: each demo case is submitted with its own Idempotency-Key (client "seed-demo"), so
a second run finds it and adds nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from caseapp.calendar.sla import due_at as sla_due_at

from ...extensions import db
from ...models import (Breach, Case, CaseAssignment, CaseEvent, CasePhoto, Deadline, District,
                       Notification, User, WorkItem)
from ..cases.submission import find_by_idempotency_key, scoped_key, submit_report
from ..cases.tasks import complete
from ..cases.unit_of_work import CaseUnitOfWork
from .processes import runner_for
from .sla_settings import load_calendar, load_policies

log = logging.getLogger(__name__)

DEMO_CLIENT = "seed-demo"  # the client the demo cases' Idempotency-Keys are scoped to
PORTAL_OPERATOR = "operator"

# the timestamp columns of a case's rows, moved together into the past
_TIMESTAMPS = ((CaseEvent, ("at",)), (CaseAssignment, ("assigned_at", "outcome_at")),
               (CasePhoto, ("created_at",)),
               (WorkItem, ("created_at", "due_at", "claimed_at", "completed_at")),
               (Deadline, ("started_at", "due_at", "fired_at")), (Breach, ("due_at", "fired_at")),
               (Notification, ("created_at", "sent_at", "read_at")))


@dataclass(frozen=True)
class Step:
    """One command of a demo case and how long ago it happened."""

    action: str          # submit / dispatch / reject / resolve / return / publish
    ago: timedelta
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DemoCase:
    key: str
    expect: str          # what a newcomer sees: the phase or ending the case is left in
    report: dict
    steps: tuple


def _durations():
    """The shortest and longest time each phase allows (working day / day off), from the
    policies in force, so that 'in time' and 'late' stay so whatever the day of the run."""
    policies = load_policies()

    def quick(phase: str, share: float) -> timedelta:
        policy = policies[phase]
        return min(policy.working, policy.dayoff) * share

    def late(phase: str) -> timedelta:
        policy = policies[phase]
        return max(policy.working, policy.dayoff) + timedelta(hours=3)

    return quick, late


def _report(category, district, description, address, name, phone, lat, lon, urgent=False,
            consent=False):
    return {"full_name": name, "phone": phone, "email": "", "category": category,
            "district": district, "description": description, "address": address,
            "lat": lat, "lon": lon, "urgent": urgent, "consent_share_identity": consent}


def demo_cases() -> list[DemoCase]:
    """The demo province's reports, one or more per phase, spread over districts and topics."""
    quick, late = _durations()
    h, d = timedelta(hours=1), timedelta(days=1)
    m = timedelta(minutes=1)
    cases = []

    def add(key, expect, report, *steps):
        cases.append(DemoCase(key, expect, report, tuple(steps)))

    # -- waiting for the portal to dispatch -----------------------------------------------
    add("waiting-dispatch", "dispatch",
        _report("environment", "camau", "Rác thải sinh hoạt đổ trộm ven kênh Rạch Rập, bốc mùi "
                "hôi thối, ruồi muỗi nhiều.", "Kênh Rạch Rập, phường 8, TP Cà Mau",
                "Trần Thị Mai", "0912 100 201", 9.1805, 105.1522),
        Step("submit", quick("dispatch", 0.2)))
    add("dispatch-late", "dispatch (late)",
        _report("security", "thoibinh", "Nhóm thanh niên tụ tập đua xe trái phép mỗi tối trên "
                "tuyến đường liên xã, gây mất an toàn.", "Đường liên xã Trí Phải – Tân Lộc, "
                "huyện Thới Bình", "Lê Văn Hùng", "0913 100 202", 9.3501, 105.1702),
        Step("submit", late("dispatch")))
    # -- being handled by agencies ----------------------------------------------------------
    t0 = quick("dispatch", 0.5) + quick("handle", 0.1)
    add("handling-police", "handle",
        _report("security", "camau", "Trộm cắp xe máy xảy ra liên tục tại bãi giữ xe chợ Phường "
                "7 trong tuần này.", "Chợ Phường 7, TP Cà Mau", "Phạm Quốc Bảo", "0914 100 203",
                9.1762, 105.1450, consent=True),
        Step("submit", t0),
        Step("dispatch", quick("handle", 0.1), {"agency": "police"}))
    add("handling-urgent", "handle (urgent)",
        _report("disaster", "namcan", "Sạt lở bờ sông Cửa Lớn khoảng 30 m, nhiều nhà dân ven "
                "sông có nguy cơ bị cuốn trôi.", "Ấp Cái Nai, thị trấn Năm Căn",
                "Huỳnh Văn Tâm", "0915 100 204", 8.7601, 104.9802, urgent=True),
        Step("submit", quick("dispatch", 0.3) + quick("return", 0.2)),
        Step("dispatch", quick("return", 0.2), {"agency": "ubnd_namcan", "urgent": True,
                                                "note": "Đề nghị kiểm tra và di dời dân khẩn cấp."}))
    add("handling-late", "handle (late)",
        _report("health", "tranvanthoi", "Trạm y tế xã đóng cửa giờ hành chính nhiều ngày, người "
                "dân không được khám bệnh.", "Trạm y tế xã Khánh Bình Tây, huyện Trần Văn Thời",
                "Nguyễn Thị Lan", "0916 100 205", 9.0703, 104.8205),
        Step("submit", late("handle") + quick("dispatch", 0.5)),
        Step("dispatch", late("handle"), {"agency": "health"}))
    # -- returned as outside an agency's competence, then dispatched again -------------------
    r0 = quick("dispatch", 1.3) + quick("return", 0.5) + quick("handle", 0.1)
    add("returned-redispatched", "handle (after a return)",
        _report("environment", "cainuoc", "Cơ sở chế biến thủy sản xả nước thải chưa xử lý ra "
                "sông, cá chết hàng loạt.", "Ấp Cái Rắn, xã Phú Hưng, huyện Cái Nước",
                "Võ Minh Khoa", "0917 100 206", 8.9402, 105.0103),
        Step("submit", r0),
        Step("dispatch", r0 - quick("dispatch", 0.4), {"agency": "agriculture"}),
        Step("return", r0 - quick("dispatch", 0.4) - quick("return", 0.5),
             {"return_reason": "Ô nhiễm môi trường do nước thải thuộc thẩm quyền Sở Tài nguyên "
                               "và Môi trường."}),
        Step("dispatch", quick("handle", 0.1), {"agency": "tnmt",
                                                "note": "Sở NN&PTNT đã trả lại: thuộc lĩnh vực môi trường."}))
    w0 = quick("dispatch", 0.3) + quick("return", 0.6)
    add("returned-waiting", "dispatch (after a return)",
        _report("weather", "uminh", "Lốc xoáy làm tốc mái nhiều nhà dân, cây ngã chắn ngang "
                "đường.", "Xã Khánh Hòa, huyện U Minh", "Đặng Văn Lợi", "0918 100 207",
                9.4103, 104.9701),
        Step("submit", w0),
        Step("dispatch", w0 - quick("dispatch", 0.2), {"agency": "transport"}),
        Step("return", quick("dispatch", 0.1),
             {"return_reason": "Khắc phục thiệt hại nhà dân do UBND huyện U Minh chủ trì."}))
    # -- handled, waiting for the portal's reply ---------------------------------------------
    p0 = quick("dispatch", 0.3) + quick("handle", 0.3) + quick("publish", 0.2)
    add("waiting-publish", "publish",
        _report("epidemic", "damdoi", "Nhiều trẻ em trong ấp sốt cao, nghi sốt xuất huyết.",
                "Ấp Tân Long, xã Tân Duyệt, huyện Đầm Dơi", "Lý Thị Hoa", "0919 100 208",
                8.9901, 105.2003, consent=True),
        Step("submit", p0),
        Step("dispatch", p0 - quick("dispatch", 0.3), {"agency": "health"}),
        Step("resolve", quick("publish", 0.2),
             {"result": "TTYT huyện đã xác minh 4 ca sốt xuất huyết, phun hóa chất diệt muỗi "
                        "toàn ấp ngày hôm nay, giám sát ca bệnh 14 ngày."}))
    pl = late("publish") + quick("dispatch", 0.3) + quick("handle", 0.3)
    add("publish-late", "publish (late)",
        _report("suggestion", "ngochien", "Đề nghị lắp đèn chiếu sáng tuyến đường vào trường "
                "tiểu học, buổi tối rất tối.", "Ấp Kinh Ráng, xã Tân Ân, huyện Ngọc Hiển",
                "Tô Văn Nam", "0913 100 209", 8.6502, 104.9803),
        Step("submit", pl),
        Step("dispatch", pl - quick("dispatch", 0.3), {"agency": "ubnd_ngochien"}),
        Step("resolve", late("publish"),
             {"result": "UBND huyện đã đưa tuyến đường vào kế hoạch lắp đèn quý tới."}))
    # -- closed with a published reply -------------------------------------------------------
    c0 = 3 * d
    add("closed", "closed",
        _report("suggestion", "camau", "Đề nghị bố trí thêm thùng rác công cộng tại công viên "
                "Hùng Vương.", "Công viên Hùng Vương, phường 5, TP Cà Mau", "Mai Thanh Tùng",
                "0914 100 210", 9.1770, 105.1530),
        Step("submit", c0),
        Step("dispatch", c0 - quick("dispatch", 0.3), {"agency": "ubnd_camau"}),
        Step("resolve", c0 - quick("dispatch", 0.3) - quick("handle", 0.5),
             {"result": "Phòng QLĐT đã đặt thêm 6 thùng rác, giao Công ty CTĐT thu gom hằng ngày."}),
        Step("publish", c0 - quick("dispatch", 0.3) - quick("handle", 0.5) - quick("publish", 0.5),
             {"public_response": "Cảm ơn anh đã góp ý. UBND thành phố đã đặt thêm 6 thùng rác tại "
                                 "công viên Hùng Vương và bố trí thu gom mỗi ngày."}))
    c1 = 5 * d
    add("closed-late", "closed (handled late)",
        _report("epidemic", "phutan", "Gia cầm chết hàng loạt không rõ nguyên nhân ở nhiều hộ "
                "chăn nuôi.", "Xã Phú Mỹ, huyện Phú Tân", "Châu Văn Đức", "0915 100 211",
                8.8802, 104.8901),
        Step("submit", c1),
        Step("dispatch", c1 - quick("dispatch", 0.5), {"agency": "agriculture"}),
        Step("resolve", c1 - quick("dispatch", 0.5) - late("handle"),
             {"result": "Chi cục Chăn nuôi – Thú y lấy mẫu, xác định cúm gia cầm A/H5N1; đã tiêu "
                        "hủy đàn bệnh và tiêm phòng bao vây."}),
        Step("publish", c1 - quick("dispatch", 0.5) - late("handle") - quick("publish", 0.5),
             {"public_response": "Cơ quan thú y đã xác định nguyên nhân là cúm gia cầm, xử lý ổ "
                                 "dịch và tiêm phòng cho đàn gia cầm xung quanh. Bà con không "
                                 "mua bán, giết mổ gia cầm bệnh."}))
    c2 = 2 * d
    add("closed-after-return", "closed (after a return)",
        _report("environment", "damdoi", "Khói bụi từ lò đốt than củi gây ô nhiễm khu dân cư.",
                "Thị trấn Đầm Dơi", "Quách Thị Yến", "0916 100 212", 8.9903, 105.1902),
        Step("submit", c2),
        Step("dispatch", c2 - quick("dispatch", 0.2), {"agency": "police"}),
        Step("return", c2 - quick("dispatch", 0.2) - quick("return", 0.5),
             {"return_reason": "Không thuộc thẩm quyền của Công an; đề nghị chuyển Sở TN&MT."}),
        Step("dispatch", c2 - quick("dispatch", 0.5) - quick("return", 0.5), {"agency": "tnmt"}),
        Step("resolve", c2 - quick("dispatch", 0.5) - quick("return", 0.5) - quick("handle", 0.7),
             {"result": "Thanh tra Sở kiểm tra, lập biên bản, yêu cầu di dời lò đốt trong 30 ngày."}),
        Step("publish", c2 - quick("dispatch", 0.5) - quick("return", 0.5) - quick("handle", 0.7)
             - quick("publish", 0.4),
             {"public_response": "Sở Tài nguyên và Môi trường đã kiểm tra và yêu cầu cơ sở di dời "
                                 "lò đốt than trong 30 ngày; cảm ơn chị đã phản ánh."}))
    # -- not accepted ------------------------------------------------------------------------
    add("rejected", "rejected",
        _report("other", None, "Bán đất nền giá rẻ, liên hệ ngay số điện thoại trên!!!",
                "", "Quảng cáo", "0909 100 213", None, None),
        Step("submit", d + 2 * h),
        Step("reject", d + h, {"reject_reason": "spam"}))
    add("rejected-info", "rejected (not enough information)",
        _report("health", "ngochien", "Có chuyện không ổn ở đây, đề nghị xem xét.", "",
                "Phan Văn Sáu", "0917 100 214", None, None),
        Step("submit", 4 * h + 30 * m),
        Step("reject", 4 * h, {"reject_reason": "insufficient_info"}))
    return cases


def build_demo_cases() -> tuple[int, int]:
    """Create the demo cases that are not there yet; (created, already there)."""
    created = existing = 0
    districts = set(db.session.scalars(db.select(District.code)))
    for demo in demo_cases():
        key = scoped_key(DEMO_CLIENT, f"demo-{demo.key}")
        if find_by_idempotency_key(key) is not None:
            existing += 1
            continue
        _build(demo, districts)
        created += 1
    return created, existing


def _build(demo: DemoCase, districts: set[str]) -> Case:
    report = dict(demo.report)
    if report.get("district") not in districts:  # an installation without that district
        report.pop("district", None)
    steps = list(demo.steps)
    case, _ = submit_report(report, idempotency_key=f"demo-{demo.key}", client=DEMO_CLIENT)
    for step, following in zip(steps, steps[1:] + [None]):
        if step.action != "submit":
            _run(case, step)
        gap = step.ago - following.ago if following is not None else step.ago
        if gap > timedelta(0):
            move_into_past(case.id, gap)
    return case


def _user(username: str) -> User:
    user = db.session.scalars(db.select(User).where(User.username == username)).first()
    if user is None:
        raise LookupError(f"demo user {username} is missing: run seed-demo without --no-users")
    return user


def _open_item(case_id: int, form_key: str) -> WorkItem:
    db.session.expire_all()
    return db.session.scalars(db.select(WorkItem).where(
        WorkItem.case_id == case_id, WorkItem.form_key == form_key,
        WorkItem.state == "open")).one()


def _run(case: Case, step: Step) -> None:
    """One command, as the portal operator or the handling agency's officer would give it."""
    values = dict(step.values)
    if step.action in ("dispatch", "reject"):
        values["action"] = step.action
        complete(_user(PORTAL_OPERATOR), _open_item(case.id, "dispatch").id, values)
    elif step.action in ("resolve", "return"):
        values["action"] = step.action
        item = _open_item(case.id, "handle")
        agency = db.session.get(Case, case.id).current_agency
        complete(_user(f"officer.{agency.code}"), item.id, values)
    elif step.action == "publish":
        complete(_user(PORTAL_OPERATOR), _open_item(case.id, "publish").id, values)
    else:
        raise ValueError(f"unknown demo step {step.action!r}")


def move_into_past(case_id: int, delta: timedelta) -> None:
    """Move a case's whole history `delta` earlier, under its lock: every timestamp, and each
    pending deadline recomputed from its moved start (the engine's timer too), so that one now
    past fires on the ordinary path (breach, notification, event)."""
    with CaseUnitOfWork() as uow:
        case = uow.lock(case_id)
        case.created_at -= delta
        if case.closed_at is not None:
            case.closed_at -= delta
        for model, columns in _TIMESTAMPS:
            for row in uow.session.scalars(db.select(model).where(model.case_id == case_id)):
                for column in columns:
                    value = getattr(row, column)
                    if value is not None:
                        setattr(row, column, value - delta)
        pending = list(uow.session.scalars(db.select(Deadline).where(
            Deadline.case_id == case_id, Deadline.state == "pending")))
        if pending and case.workflow_state:
            policies, calendar = load_policies(), load_calendar()
            moves = {}
            for row in pending:
                policy = policies.get(row.phase)
                if policy is not None:  # the due time the moved start calls for
                    row.due_at = sla_due_at(row.started_at, policy, calendar)
                moves[row.timer_task_id] = row.due_at
                uow.scheduled(row)
            snapshot = runner_for(case.process_version_id).reschedule_timers(
                case.workflow_state, moves)
            uow.apply(case, snapshot)
            for row in pending:
                if row.state == "fired" and row.fired_at is not None and row.fired_at > row.due_at:
                    _fired_when_due(uow.session, case_id, row)
        latest = uow.session.scalar(db.select(db.func.max(CaseEvent.at)).where(
            CaseEvent.case_id == case_id))
        case.updated_at = max(filter(None, (latest, case.created_at)))


def _fired_when_due(session, case_id: int, deadline: Deadline) -> None:
    """A deadline the move put in the past fired at once; the sweeper would have fired it when
    it fell due, so its breach, "deadline passed" event and breach notices say that time."""
    due, fired = deadline.due_at, deadline.fired_at
    deadline.fired_at = due
    for breach in session.scalars(db.select(Breach).where(Breach.deadline_id == deadline.id)):
        breach.fired_at = due
    for event in session.scalars(db.select(CaseEvent).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == "deadline_passed")):
        detail = dict(event.detail or {})
        if detail.get("fired_at") == fired.isoformat() and detail.get("due_at") == due.isoformat():
            event.at = due
            event.detail = {**detail, "fired_at": due.isoformat()}
    for notice in session.scalars(db.select(Notification).where(
            Notification.case_id == case_id, Notification.kind == "deadline_breach",
            Notification.created_at >= fired - timedelta(minutes=1))):
        if due.isoformat() in notice.body:
            notice.created_at = due
