"""What new users stumbled on (issue 10): the diagram's language, deadlines in words, the queue's
search, the reply beside the agency's result, what claiming means, the environment category and
the lookup button, and `seed-demo`'s logins and demo cases."""
import json
import re
from datetime import datetime

from freezegun import freeze_time

from caseapp.calendar.days import LOCAL_TZ
from caseapp.extensions import db
from caseapp.models import (Breach, Case, CaseEvent, Category, Deadline, Notification,
                            ProcessVersion, WorkItem)

from .helpers import Api
from .web import case_row, complete, login, open_item, send_report, text


def local(*args):
    return datetime(*args, tzinfo=LOCAL_TZ)


WEDNESDAY = local(2026, 11, 25, 8, 0)  # an ordinary working day: dispatch 2 h, handle 4 h, return 1 h


def english(client):
    client.get("/lang/en")


def diagram_xml(page: str) -> str:
    block = re.search(r'<script type="application/json" id="diagram-data">(.*?)</script>', page, re.S)
    return json.loads(block.group(1))["xml"]


# ---- 1. the diagram in the page's language ----------------------------------------------------

def test_case_diagram_names_follow_the_page_language(seeded, client):
    with freeze_time(WEDNESDAY):
        code = send_report(client)
        login(client, "operator")
        vietnamese = diagram_xml(text(client.get(f"/cases/{code}")))
        english(client)
        from_page = diagram_xml(text(client.get(f"/cases/{code}")))
        from_json = client.get(f"/cases/{code}/diagram").get_json()["xml"]
    assert 'name="Tiếp nhận và chuyển xử lý"' in vietnamese
    assert 'name="Cổng TTĐT tỉnh"' in vietnamese and 'name="Portal"' not in vietnamese  # the lanes
    assert 'name="Receive and dispatch"' not in vietnamese
    for xml in (from_page, from_json):
        assert 'name="Receive and dispatch"' in xml and 'name="Handle report"' in xml
        assert 'name="Provincial portal"' in xml and 'name="Handling agency"' in xml
        assert 'name="Tiếp nhận và chuyển xử lý"' not in xml
        assert 'id="dispatch"' in xml  # the ids the task marks point at are kept
    stored = db.session.scalars(db.select(ProcessVersion.bpmn_xml)).one()
    assert '<bpmn:lane id="Portal" name="Portal">' in stored  # the engine's XML is never changed


def test_process_page_diagram_follows_the_page_language(seeded, client):
    login(client, "designer")
    vietnamese = diagram_xml(text(client.get("/process/")))
    english(client)
    in_english = diagram_xml(text(client.get("/process/")))
    assert 'name="Xử lý phản ánh"' in vietnamese and 'name="Handle report"' not in vietnamese
    assert 'name="Handle report"' in in_english and 'name="Xử lý phản ánh"' not in in_english


# ---- 2. deadlines in words ----------------------------------------------------------------------

def _by(deadlines, phase, agency):
    rows = [d for d in deadlines if d["phase"] == phase and d["agency"] == agency]
    assert len(rows) == 1, deadlines
    return rows[0]


def test_deadlines_say_whose_what_for_and_whether_they_still_matter(seeded, client):
    api = Api(client)
    with freeze_time(WEDNESDAY) as clock:
        code = api.submit()
        clock.move_to(local(2026, 11, 25, 8, 10))
        api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
        clock.move_to(local(2026, 11, 25, 8, 30))
        api.complete("officer.police", code, "handle",
                     {"action": "return", "return_reason": "Thuộc thẩm quyền ngành y tế"})
        clock.move_to(local(2026, 11, 25, 8, 40))
        api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "health"})
        deadlines = api.call("GET", f"/api/v1/cases/{code}", "operator").get_json()["deadlines"]

        police_window = _by(deadlines, "return", "police")
        health_window = _by(deadlines, "return", "health")
        assert (police_window["kind"], police_window["owner"], police_window["standing"]) == \
            ("window", "agency", "ended")  # police no longer holds the case: not pending
        assert (health_window["kind"], health_window["standing"], health_window["late"]) == \
            ("window", "open", False)
        assert _by(deadlines, "handle", "health")["standing"] == "running"
        assert _by(deadlines, "handle", "police")["standing"] == "met"
        assert [(d["owner"], d["kind"], d["standing"]) for d in deadlines if d["phase"] == "dispatch"] \
            == [("portal", "step", "met"), ("portal", "step", "met")]

        login(client, "operator")
        english(client)
        page = text(client.get(f"/cases/{code}"))
        assert "Cà Mau Provincial Police</span>:" in page and "Department of Health</span>:" in page
        assert re.search(r"Returning the report as outside the agency(&#39;|')s competence", page)
        assert "Not a second task but a window on the step" in page
        assert "window open" in page and "no longer applies" in page
        assert "Provincial portal</span>:" in page  # the portal's own dispatch deadlines

        login(client, "officer.health")
        english(client)
        item = open_item(code, "handle")
        task_page = text(client.get(f"/work/items/{item.id}"))
        assert re.search(r"This task(&#39;|')s deadline \(Department of Health\)", task_page)
        assert 'standing-open' in task_page and 'standing-running' in task_page

        clock.move_to(local(2026, 11, 25, 14, 0))  # handling was due 12:40, the window 9:40
        from caseapp.services.cases.deadlines import sweep
        assert sweep() == 2
        deadlines = api.call("GET", f"/api/v1/cases/{code}", "operator").get_json()["deadlines"]
        assert (_by(deadlines, "handle", "health")["standing"], _by(deadlines, "handle", "health")["late"]) \
            == ("overdue", True)
        assert (_by(deadlines, "return", "health")["standing"], _by(deadlines, "return", "health")["late"]) \
            == ("closed", False)  # a window that closed is nobody's lateness
        page = text(client.get(f"/cases/{code}"))
        assert "window closed" in page and "the task is still open" in page
        assert "Window closed (nobody is late)" in page  # the history says so too

        clock.move_to(local(2026, 11, 25, 14, 30))
        api.complete("officer.health", code, "handle", {"action": "resolve", "result": "Đã phun thuốc."})
        deadlines = api.call("GET", f"/api/v1/cases/{code}", "operator").get_json()["deadlines"]
    assert _by(deadlines, "handle", "health")["standing"] == "done_late"
    assert not any(d["late"] for d in deadlines)


# ---- 3. the work queue's search ------------------------------------------------------------------

def test_queue_search_by_tracking_code_and_words(seeded, client):
    api = Api(client)
    with freeze_time(WEDNESDAY):
        kenh = api.submit(description="Rác thải đổ trộm ven kênh xáng, bốc mùi",
                          address="Phường 8, TP Cà Mau")
        cho = api.submit(description="Đèn đường hỏng cả tuần nay, rất tối",
                         address="Chợ Tắc Vân, TP Cà Mau", urgent=True)
        login(client, "operator")

        def codes(query: dict) -> set[str]:
            page = text(client.get("/work/", query_string=query))
            return set(re.findall(r'data-code="(CM-[A-Z0-9-]+)"', page))

        assert codes({}) == {kenh, cho}
        assert codes({"q": f"  {kenh.lower()} "}) == {kenh}           # a tracking code typed
        assert codes({"q": "kênh"}) == {kenh}                           # a word of the description
        assert codes({"q": "Tắc Vân"}) == {cho}                         # words of the address
        assert codes({"q": "Cà Mau"}) == {kenh, cho}
        assert codes({"q": "Cà Mau", "urgent": "1"}) == {cho}           # with the other filters
        assert codes({"q": "đèn kênh"}) == set()                        # every word must be there
        assert codes({"q": "đèn"}) == {cho}                             # any letter case, on
        assert codes({"q": "KÊNH XÁNG"}) == {kenh}                      # SQLite too
        page = text(client.get("/work/", query_string={"q": "kênh"}))
        assert 'value="kênh"' in page and re.search(r'hx-get="/work/rows\?q=k', page)
        rows = text(client.get("/work/rows", query_string={"q": kenh}))
        assert set(re.findall(r'data-code="(CM-[A-Z0-9-]+)"', rows)) == {kenh}
        empty = text(client.get("/work/", query_string={"q": "không có gì như vậy"}))
        assert 'id="queue-empty"' in empty and 'id="search-cases"' in empty
        cases_page = text(client.get("/cases/", query_string={"q": "Tắc Vân"}))  # the same search
        assert cho in cases_page and kenh not in cases_page
        assert client.get("/work/", query_string={"q": "a\x00b"}).status_code == 400
        listed = api.call("GET", "/api/v1/work-items", "operator", query_string={"q": cho})
    assert listed.status_code == 200
    assert [i["tracking_code"] for i in listed.get_json()["items"]] == [cho]


# ---- 4. the reply beside the agency's result ---------------------------------------------------

def test_reply_box_is_empty_and_an_unedited_result_is_refused(seeded, client):
    api = Api(client)
    result = "Đã kiểm tra, xử phạt cơ sở vi phạm theo Nghị định 45/2022."
    with freeze_time(WEDNESDAY):
        code = api.submit()
        api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "tnmt"})
        api.complete("officer.tnmt", code, "handle", {"action": "resolve", "result": result})
        login(client, "operator")
        english(client)
        item = open_item(code, "publish")
        page = text(client.get(f"/work/items/{item.id}"))
        assert 'id="agency-result"' in page and result in page
        assert re.search(r'id="public_response"[^>]*>\s*</textarea>', page)  # not pre-filled
        refused = client.post(f"/work/items/{item.id}", data={"public_response": "  " + result.upper()})
        assert refused.status_code == 422
        assert "internal result word for word" in text(refused)
        by_api = api.complete("operator", code, "publish", {"public_response": result}, expect=422)
        assert list(by_api["error"]["fields"]) == ["public_response"]
        assert case_row(code).status == "open"
        complete(client, code, "publish", {"public_response": "Cơ sở gây ô nhiễm đã bị xử phạt; "
                                                            "cảm ơn bạn đã phản ánh."})
    assert case_row(code).status == "closed"


# ---- 5. what claiming does ----------------------------------------------------------------------

def test_claiming_is_explained_and_optional(seeded, client):
    with freeze_time(WEDNESDAY):
        code = send_report(client)
        login(client, "operator")
        english(client)
        hint = "Claiming is optional"
        assert hint in text(client.get("/work/"))
        item = open_item(code, "dispatch")
        assert hint in text(client.get(f"/work/items/{item.id}"))
        assert item.claimed_by_id is None  # and an unclaimed task completes
        complete(client, code, "dispatch", {"action": "dispatch", "agency": "police"})
    assert case_row(code).phase == "handle"


# ---- 6. the environment category; the lookup button ---------------------------------------------

def test_environment_category_and_the_track_button(seeded, client):
    from caseapp.services.administration.seed import seed_demo
    categories = {c["code"]: c for c in client.get("/api/v1/categories").get_json()["items"]}
    assert categories["environment"]["name_en"] == "Environment and sanitation"
    assert 'value="environment"' in text(client.get("/report"))
    db.session.execute(db.delete(Category).where(Category.code == "environment"))
    db.session.commit()
    seed_demo("pw")  # an installation made before it exists gets it from seed-demo
    row = db.session.scalars(db.select(Category).where(Category.code == "environment")).one()
    assert (row.name, row.name_en) == ("Môi trường – vệ sinh", "Environment and sanitation")
    english(client)
    for url, button in (("/track", "track-submit"), ("/", "home-track")):
        page = text(client.get(url))
        assert re.search(rf'id="{button}">Track</button>', page), url
        assert ">Follow<" not in page
    client.get("/lang/vi")
    assert re.search(r'id="track-submit">Tra cứu</button>', text(client.get("/track")))


# ---- 7. seed-demo: the logins and demo cases in every phase -------------------------------------

def _seed(app, *args):
    return app.test_cli_runner().invoke(args=["seed-demo", "--password", "pw", *args])


def test_seed_demo_prints_the_logins_and_builds_cases_in_every_phase(seeded, client):
    with freeze_time(local(2026, 11, 25, 15, 0)):
        result = _seed(seeded)
        assert result.exit_code == 0, result.output
        output = result.output
        assert re.search(r"username\s+role\s+agency\s+lands on", output)
        assert re.search(r"operator\s+operator\s+/work/", output)
        assert re.search(r"leader\.health\s+leader\s+Sở Y tế\s+/leader/", output)
        assert re.search(r"officer\.police\s+officer\s+Công an tỉnh Cà Mau\s+/work/", output)
        assert "Password for every demo login: pw" in output
        assert "Demo reports: 14 created, 0 already there" in output

        cases = list(db.session.scalars(db.select(Case)))
        phases = {(c.status, c.phase) for c in cases}
        assert {("open", "dispatch"), ("open", "handle"), ("open", "publish"), ("closed", None),
                ("rejected", None)} <= phases
        assert any(c.return_count and c.phase == "handle" for c in cases)     # returned, re-dispatched
        assert any(c.return_count and c.phase == "dispatch" for c in cases)   # returned, waiting
        assert any(c.return_count and c.status == "closed" for c in cases)
        assert all(c.public_response for c in cases if c.status in ("closed", "rejected"))
        assert len({c.district_id for c in cases if c.district_id}) >= 8
        assert len({c.category_id for c in cases}) >= 7
        assert "environment" in {c.category.code for c in cases}
        assert min(c.created_at for c in cases) < local(2026, 11, 21)       # a history, not a moment
        late = {b.phase for b in db.session.scalars(db.select(Breach))}
        assert {"dispatch", "handle", "publish"} <= late                   # some late, in each phase
        # a deadline the moved history put in the past fired when it fell due, as the sweeper
        # would have: its breach, its "deadline passed" event and the leaders' notices say so
        fired = list(db.session.scalars(db.select(Deadline).where(Deadline.state == "fired")))
        due_times = sorted(d.due_at for d in fired)
        assert fired and all(d.fired_at == d.due_at for d in fired)
        assert all(b.fired_at == b.due_at for b in db.session.scalars(db.select(Breach)))
        assert sorted(e.at for e in db.session.scalars(db.select(CaseEvent).where(
            CaseEvent.kind == "deadline_passed"))) == due_times
        notices = list(db.session.scalars(db.select(Notification).where(
            Notification.kind == "deadline_breach")))
        assert notices and {n.created_at for n in notices} <= set(due_times)
        still_late = [c for c in cases if c.status == "open" and db.session.scalar(
            db.select(db.func.count()).select_from(WorkItem).where(
                WorkItem.case_id == c.id, WorkItem.state == "open",
                WorkItem.due_at < local(2026, 11, 25, 15, 0)))]
        assert len(still_late) >= 3

        again = _seed(seeded)
        assert "Demo reports: 0 created, 14 already there" in again.output
        assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == len(cases)

        # demo cases are real: their tasks complete like any other
        api = Api(client)
        handling = next(c for c in cases if c.phase == "handle" and c.current_agency.code == "police")
        api.complete("officer.police", handling.tracking_code, "handle",
                     {"action": "resolve", "result": "Đã bắt giữ đối tượng trộm cắp."})
        waiting = next(c for c in cases if c.phase == "publish" and not c.return_count)
        api.complete("operator", waiting.tracking_code, "publish",
                     {"public_response": "Cảm ơn bạn, sự việc đã được xử lý xong."})
        assert case_row(waiting.tracking_code).status == "closed"
        login(client, "operator")
        queue = text(client.get("/work/"))
    assert queue.count('data-code="') >= 5


def test_seed_demo_without_cases(seeded):
    result = _seed(seeded, "--no-cases")
    assert result.exit_code == 0 and "Demo reports" not in result.output
    assert "officer.police" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0
