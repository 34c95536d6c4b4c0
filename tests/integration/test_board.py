"""The public transparency board: answered reports only, never who reported, search, paging,
overall figures with "answered on time" from the breaches of duty deadlines."""
from __future__ import annotations

from datetime import datetime

import pytest
from freezegun import freeze_time

from caseapp.extensions import db
from caseapp.models import Breach, Case
from caseapp.services.cases.deadlines import sweep
from caseapp.services.reads import board as board_reads
from caseapp.services.reads.board import BoardFilters, answered_reports, board_figures

from .helpers import REPORT, Api

LOCAL_DAY = (2026, 11, 25)  # a Wednesday: dispatch 2 h, handle 4 h, return window 1 h


def local(hour: int, minute: int = 0, second: int = 0) -> datetime:
    from zoneinfo import ZoneInfo
    return datetime(*LOCAL_DAY, hour, minute, second, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


REPLIES = {
    "racing": "Công an đã giải tán nhóm đua xe trái phép trên đường Phan Ngọc Hiển.",
    "tree": "Đội công trình đã dọn cây đổ, đường thông suốt.",
    "mosquito": "Trung tâm y tế đã phun thuốc diệt muỗi toàn ấp.",
}
SECRET = {"full_name": "Trần Thị Bí Mật", "phone": "0987 654 321", "email": "bimat@example.vn",
          "description": "Nhà ông Lê Văn Hàng xóm số 12 hẻm 7 ồn ào cả đêm, có người đua xe",
          "address": "Số 12 hẻm 7 Phường 5"}
RESULT = "KẾT QUẢ NỘI BỘ: đã xác minh người báo là hàng xóm, không công khai"


def answer(api: Api, code: str, agency: str, reply: str) -> None:
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": agency})
    api.complete(f"officer.{agency}", code, "handle", {"action": "resolve", "result": RESULT})
    api.complete("operator", code, "publish", {"public_response": reply})


@pytest.fixture
def board(seeded, client):
    """Three answered reports (one late), one not accepted, one still open."""
    api = Api(client)
    codes = {}
    with freeze_time(local(8)) as clock:
        codes["racing"] = api.submit(**SECRET, category="security", district="camau")
        codes["tree"] = api.submit(**SECRET, category="disaster", district="uminh")
        codes["mosquito"] = api.submit(**SECRET, category="health")
        codes["spam"] = api.submit(**SECRET, category="security", district="camau")
        codes["open"] = api.submit(**SECRET, category="security", district="camau")
        clock.move_to(local(8, 10))
        answer(api, codes["racing"], "police", REPLIES["racing"])
        api.complete("operator", codes["spam"], "dispatch", {"action": "reject", "reject_reason": "spam"})
        api.complete("operator", codes["mosquito"], "dispatch", {"action": "dispatch", "agency": "health"})
        clock.move_to(local(9, 30))
        assert sweep() == 1  # the return window only: not a duty, the answer stays on time
        api.complete("officer.health", codes["mosquito"], "handle",
                     {"action": "resolve", "result": RESULT})
        api.complete("operator", codes["mosquito"], "publish", {"public_response": REPLIES["mosquito"]})
        clock.move_to(local(10, 0, 1))
        assert sweep() >= 1  # the tree report's dispatch deadline (2 h) passed
        clock.move_to(local(10, 30))
        answer(api, codes["tree"], "transport", REPLIES["tree"])
    return codes


def page(client, **query):
    with freeze_time(local(11)):
        response = client.get("/board", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def listed(body: str) -> list[str]:
    return [name for name, reply in REPLIES.items() if reply in body]


def test_answered_reports_newest_first_without_identity_or_internal_result(board, client):
    body = page(client)
    order = sorted(REPLIES, key=lambda name: body.index(REPLIES[name]))
    assert order == ["tree", "mosquito", "racing"]  # newest answer first
    for secret in (*SECRET.values(), "0987654321", RESULT, *board.values()):
        assert secret not in body
    assert "không tiếp nhận" not in body  # the rejected report's standard reply is not listed


def test_figures_received_answered_on_time(board, client):
    with freeze_time(local(11)):
        figures = board_figures()
    assert figures == {"received": 5, "answered": 3, "answered_on_time": 2, "on_time_rate": 67,
                       "in_progress": 1, "not_accepted": 1}
    tree = db.session.scalars(db.select(Case).where(Case.tracking_code == board["tree"])).one()
    assert {b.phase for b in db.session.scalars(db.select(Breach).where(Breach.case_id == tree.id))} \
        == {"dispatch"}
    body = page(client)
    assert 'id="figure-received"' in body
    received = body.split('id="figure-received"')[1].split("</dd>")[0]
    assert received.endswith(">5")
    late = body.split(REPLIES["tree"])[0].rsplit('class="card board-entry"', 1)[1]
    assert "trả lời trễ hạn" in late
    on_time = body.split(REPLIES["mosquito"])[0].rsplit('class="card board-entry"', 1)[1]
    assert "trả lời đúng hạn" in on_time


def test_figures_follow_the_category_and_district(board):
    assert board_figures(BoardFilters(category="security")) == {
        "received": 3, "answered": 1, "answered_on_time": 1, "on_time_rate": 100,
        "in_progress": 1, "not_accepted": 1}
    assert board_figures(BoardFilters(district="uminh"))["answered_on_time"] == 0
    assert board_figures(BoardFilters(district="nowhere"))["received"] == 0


@pytest.mark.parametrize("query, expected", [
    ({"category": "security"}, ["racing"]),
    ({"district": "uminh"}, ["tree"]),
    ({"q": "đua xe"}, ["racing"]),
    ({"q": "ĐUA XE"}, ["racing"]),                     # case-insensitive, Vietnamese letters too
    ({"q": "đã"}, ["racing", "tree", "mosquito"]),
    ({"q": "cây đổ", "district": "uminh"}, ["tree"]),
    ({"q": "cây đổ", "district": "camau"}, []),
    ({"q": "Lê Văn"}, []),                              # the reporter's text is never searched
    ({"q": "KẾT QUẢ NỘI BỘ"}, []),                      # nor the agency's internal result
    ({"q": "%"}, ["racing", "tree", "mosquito"]),      # nothing searchable: no word filter
    ({"q": "100%_"}, []),
    ({"category": "no-such-thing"}, []),
    ({"q": "x" * 5000}, []),
])
def test_search_by_category_district_and_words(board, client, query, expected):
    assert sorted(listed(page(client, **query))) == sorted(expected)


def test_words_search_reads_the_full_text_index_on_postgresql(board, backend):
    filters = BoardFilters(words="thuốc muỗi")
    rows, total = answered_reports(filters)
    assert total == 1 and rows[0]["reply"] == REPLIES["mosquito"]
    if backend == "postgresql":  # the query's expression is the index's: the planner may use it
        db.session.execute(db.text("SET LOCAL enable_seqscan = off"))
        condition = board_reads._words_condition("thuốc muỗi")
        plan = "\n".join(db.session.execute(db.text("EXPLAIN " + str(
            db.select(Case.id).where(condition).compile(
                db.engine, compile_kwargs={"literal_binds": True})))).scalars())
        db.session.rollback()
        assert "ix_case_reply_words" in plan


def test_paging(board, client, monkeypatch):
    monkeypatch.setattr(board_reads, "PER_PAGE", 2)
    first, second = page(client), page(client, page=2)
    assert sorted(listed(first)) == ["mosquito", "tree"] and listed(second) == ["racing"]
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert listed(page(client, page="abc")) == listed(first)  # not a number: the first page
    past_the_end = page(client, page=99)  # an old link: the last page, not "3 found" and none
    assert listed(past_the_end) == ["racing"] and 'rel="prev"' in past_the_end


def test_english_and_links_from_the_tracking_and_home_pages(board, client):
    client.get("/lang/en")
    body = page(client)
    assert "Answered reports" in body and "Answered on time" in body
    assert "Security and public order" in body and "answered late" in body
    with freeze_time(local(11)):
        assert 'href="/board"' in client.get(f"/track/{board['racing']}").get_data(as_text=True)
        assert 'href="/board"' in client.get("/").get_data(as_text=True)


def test_no_login_needed_and_empty_board(seeded, client):
    body = page(client)
    assert 'id="board-empty"' in body and 'id="nav-board"' in body


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_board_search_is_rate_limited_like_the_public_look_ups(app, sqlite_url):
    from caseapp import create_app
    from caseapp.extensions import limiter
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sqlite_url, "REDIS_URL": None,
                      "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "SECRET_KEY": "test-secret"})
    try:
        client = app.test_client()
        # the window starts at the first request and lasts a minute (limits' fixed window)
        statuses = [client.get("/board", query_string={"q": "đua"}).status_code
                    for _ in range(301)]
    finally:
        limiter.reset()
        limiter.enabled = False
    assert statuses[:300] == [200] * 300 and statuses[300] == 429
