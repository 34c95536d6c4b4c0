"""Reporters' personal data (Decree 13/2023/NĐ-CP): encrypted at rest, found by a keyed phone
index, every showing to staff recorded, removed after retention or on request, keys rotated."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet
from freezegun import freeze_time
from sqlalchemy import text as sql

from caseapp.extensions import db
from caseapp.models import AuditLog, Case, CaseEvent, IdentityDisclosure, Notification

from .helpers import Api
from .web import login

NAME, PHONE, EMAIL = "Nguyễn Văn An", "0912345678", "an@example.vn"
START = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # a Monday, 09:00 in Cà Mau


@pytest.fixture(autouse=True)
def _holidays_known():
    """Building a year's Vietnamese holidays (lunar calendar) inside the traced sandbox can pass
    the 1 s script limit on a loaded machine; the calendar caches it, so build it first."""
    from caseapp.calendar.days import public_holiday_name
    for year in {START.year, datetime.now(timezone.utc).year}:
        public_holiday_name(datetime(year, 1, 1).date())


def raw_identity(code: str) -> tuple:
    """What the database really holds, bypassing the model's decryption."""
    return db.session.execute(sql(
        "SELECT reporter_name, reporter_phone, reporter_email, reporter_phone_digest "
        "FROM case_file WHERE tracking_code = :code"), {"code": code}).one()


def case_of(code: str) -> Case:
    db.session.expire_all()
    return db.session.scalars(db.select(Case).where(Case.tracking_code == code)).one()


def run(app, *args, **kwargs):
    return app.test_cli_runner().invoke(args=list(args), **kwargs)


# ---------------------------------------------------------------- encryption at rest

def test_identity_is_encrypted_in_the_database_and_plain_in_the_code(seeded, client):
    code = Api(client).submit(phone="+84 912 345 678")
    name, phone, email, digest = raw_identity(code)
    for stored, clear in ((name, NAME), (phone, PHONE), (email, EMAIL)):
        assert clear not in stored and clear.encode().hex() not in stored
        assert stored.startswith("gAAAAA")  # a Fernet token
    assert len(digest) == 64 and PHONE not in digest
    case = case_of(code)
    assert (case.reporter_name, case.reporter_phone, case.reporter_email) == (NAME, PHONE, EMAIL)
    # two reports by the same person: different tokens, the same index value
    other = Api(client).submit(phone="0912.345.678", description="Một phản ánh khác về bờ kè sạt lở")
    assert raw_identity(other)[1] != phone and raw_identity(other)[3] == digest


def test_the_outbox_copy_of_the_reporters_email_is_encrypted_too(seeded, client):
    api = Api(client)
    code = api.submit()
    api.complete("operator", code, "dispatch", {"action": "reject", "reject_reason": "spam"})
    (stored,) = db.session.execute(sql(
        "SELECT recipient_address FROM notification WHERE recipient_user_id IS NULL")).one()
    assert EMAIL not in stored and stored.startswith("gAAAAA")
    assert db.session.scalars(db.select(Notification.recipient_address).where(
        Notification.recipient_user_id.is_(None))).one() == EMAIL


def test_phones_are_found_through_the_digest_whatever_the_spelling(seeded, client):
    from caseapp.services.privacy.encryption import phone_lookup
    api = Api(client)
    mine = {api.submit(), api.submit(phone="84912345678", description="Cây đổ chắn ngang đường đi")}
    api.submit(phone="0987654321", description="Ngập nước sau mưa lớn tại phường 5")
    for spelling in ("0912 345 678", "+84912345678", "0912-345-678"):
        found = db.session.scalars(db.select(Case.tracking_code).where(
            phone_lookup(Case.reporter_phone_digest, spelling))).all()
        assert set(found) == mine


def test_an_encrypted_column_cannot_be_compared_in_sql(seeded):
    with pytest.raises(TypeError, match="phone_lookup"):
        db.select(Case.id).where(Case.reporter_phone == PHONE)
    assert db.session.scalar(db.select(db.func.count()).where(Case.reporter_email.is_(None))) == 0


# ---------------------------------------------------------------- disclosures

def _disclosures(code: str) -> list[tuple[str, str, str]]:
    return [(d.actor_label, d.role, d.channel) for d in db.session.scalars(
        db.select(IdentityDisclosure).join(Case, Case.id == IdentityDisclosure.case_id)
        .where(Case.tracking_code == code).order_by(IdentityDisclosure.id))]


def test_every_showing_to_any_staff_member_is_recorded(seeded, client):
    api = Api(client)
    code = api.submit(consent_share_identity=True)
    assert _disclosures(code) == []
    for user in ("operator", "supervisor", "admin"):
        body = api.call("GET", f"/api/v1/cases/{code}", user).get_json()
        assert body["reporter"]["phone"] == PHONE
    assert api.call("GET", f"/api/v1/cases/{code}", "monitor").get_json()["reporter"] is None
    login(client, "operator")
    assert NAME in client.get(f"/cases/{code}").get_data(as_text=True)
    assert _disclosures(code) == [("operator", "operator", "api"), ("supervisor", "supervisor", "api"),
                                  ("admin", "admin", "api"), ("operator", "operator", "web")]
    # the case's trail names each person once
    seen = db.session.scalars(db.select(CaseEvent.actor_label).where(
        CaseEvent.kind == "identity_disclosed").order_by(CaseEvent.id)).all()
    assert seen == ["operator", "supervisor", "admin"]


def test_an_agency_without_consent_is_shown_nothing_and_nothing_is_recorded(seeded, client):
    api = Api(client)
    code = api.submit()
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    before = _disclosures(code)
    assert api.call("GET", f"/api/v1/cases/{code}", "officer.police").get_json()["reporter"] is None
    assert _disclosures(code) == before and all(row[0] != "officer.police" for row in before)


def test_the_one_function_other_screens_call_checks_and_records(seeded, client, users):
    from caseapp.services.privacy.disclosure import show_identities, show_identity
    api = Api(client)
    shared, hidden = api.submit(consent_share_identity=True), api.submit()
    for code in (shared, hidden):
        api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    officer = users["officer.police"]
    shown = show_identities(officer, [case_of(shared), case_of(hidden)], "export")
    assert shown[case_of(shared).id]["full_name"] == NAME and shown[case_of(hidden).id] is None
    assert ("officer.police", "officer", "export") in _disclosures(shared)
    assert show_identity(users["monitor"], case_of(shared)) is None
    assert show_identity(users["officer.transport"], case_of(shared)) is None  # never held it
    assert all(row[0] != "officer.transport" for row in _disclosures(shared))


def test_admins_see_the_disclosures(seeded, client):
    api = Api(client)
    code = api.submit()
    api.call("GET", f"/api/v1/cases/{code}", "operator")
    login(client, "admin")
    page = client.get("/admin/personal-data", query_string={"case": code.lower()}).get_data(as_text=True)
    assert code in page and "<code>api</code>" in page
    empty = client.get("/admin/personal-data", query_string={"case": "CM-XXXX-XXXX"})
    assert code not in empty.get_data(as_text=True)
    login(client, "operator")
    assert client.get("/admin/personal-data").status_code == 403


# ---------------------------------------------------------------- retention

def _reject(api: Api, code: str) -> None:
    api.complete("operator", code, "dispatch", {"action": "reject", "reject_reason": "spam"})


def test_retention_purges_closed_cases_only_after_the_period(seeded, client):
    from caseapp.services.privacy.retention import purge_expired, set_retention
    with freeze_time(START) as clock:
        api = Api(client)
        old, recent, still_open = api.submit(), None, api.submit(description="Đèn đường hỏng ở phường 7")
        _reject(api, old)
        clock.move_to(START + timedelta(days=20))
        recent = api.submit(description="Rác thải ùn ứ ở chợ phường 2, bốc mùi")
        _reject(api, recent)
        set_retention(None, 30)
        clock.move_to(START + timedelta(days=31))
        assert purge_expired() == 1
        assert purge_expired() == 0  # nothing left to do, and no audit entry for nothing
    gone = case_of(old)
    assert (gone.reporter_name, gone.reporter_phone, gone.reporter_email) == ("[erased]", "[erased]", None)
    assert raw_identity(old)[3] is None and "[erased]" not in raw_identity(old)[0]
    assert gone.status == "rejected" and gone.description  # the case itself stays
    for kept in (recent, still_open):
        assert case_of(kept).reporter_phone == PHONE
    purges = db.session.scalars(db.select(AuditLog).where(AuditLog.action == "personal_data.purge")).all()
    assert [p.detail["cases"] for p in purges] == [1]
    # the reply e-mail to the reporter is no longer held either
    assert not db.session.scalar(db.select(db.func.count()).select_from(Notification).where(
        Notification.case_id == gone.id, Notification.recipient_address.is_not(None),
        Notification.recipient_user_id.is_(None)))
    # the staff case page says so instead of showing the marker
    login(client, "operator")
    page = client.get(f"/cases/{old}").get_data(as_text=True)
    assert 'id="reporter-erased"' in page and "tel:[erased]" not in page


def test_retention_never_touches_open_cases(seeded, client):
    from caseapp.services.privacy.retention import purge_expired, set_retention
    with freeze_time(START) as clock:
        code = Api(client).submit()
        set_retention(None, 1)
        clock.move_to(START + timedelta(days=400))
        assert purge_expired() == 0
    assert case_of(code).reporter_phone == PHONE


def test_retention_setting_from_the_cli_and_the_admin_screen(seeded, client):
    assert "off" in run(seeded, "personal-data", "retention").output
    assert run(seeded, "personal-data", "retention", "--days", "90").exit_code == 0
    assert "90 day" in run(seeded, "personal-data", "retention").output
    bad = run(seeded, "personal-data", "retention", "--days", "-3")
    assert bad.exit_code == 2 and "36500" in bad.output
    login(client, "admin")
    client.get("/lang/en")
    response = client.post("/admin/personal-data/retention", data={"days": "many"})
    assert response.status_code == 422 and "36500" in response.get_data(as_text=True)
    response = client.post("/admin/personal-data/retention", data={"days": "365"})
    assert response.status_code == 302
    assert "365 days after closing" in client.get("/admin/personal-data").get_data(as_text=True)
    changes = db.session.scalars(db.select(AuditLog).where(
        AuditLog.action == "personal_data.retention").order_by(AuditLog.id)).all()
    assert [(c.actor_label, c.detail["days"]) for c in changes] == [("system", 90), ("admin", 365)]
    assert "purged the reporter's identity from 0 case(s)" in run(seeded, "personal-data", "purge").output


def test_the_timer_entry_point_purges_at_most_once_an_interval(seeded, client):
    from caseapp.services.privacy.retention import set_retention
    from timers.retention import PURGE_INTERVAL_SECONDS, purge_if_due
    with freeze_time(START) as clock:
        api = Api(client)
        code = api.submit()
        _reject(api, code)
        set_retention(None, 1)
        clock.move_to(START + timedelta(days=2))
        ticks = iter([1000.0, 1000.0 + PURGE_INTERVAL_SECONDS / 2, 1000.0 + PURGE_INTERVAL_SECONDS])
        assert purge_if_due(seeded, clock=lambda: next(ticks)) == 1
        assert purge_if_due(seeded, clock=lambda: next(ticks)) is None
        assert purge_if_due(seeded, clock=lambda: next(ticks)) == 0
    assert case_of(code).reporter_phone == "[erased]"


# ---------------------------------------------------------------- data-subject requests

def test_export_of_everything_held_about_a_phone(seeded, client):
    api = Api(client)
    first = api.submit()
    second = api.submit(phone="0912 345 678", description="Đường ngập sâu, xe máy chết máy")
    api.submit(phone="0987654321", full_name="Lê Thị Cúc", description="Một phản ánh của người khác")
    api.call("GET", f"/api/v1/cases/{first}", "operator")
    login(client, "admin")
    response = client.post("/admin/personal-data/request", data={"phone": "+84912345678",
                                                                 "action": "export"})
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert [c["tracking_code"] for c in data["cases"]] == [first, second]
    case = data["cases"][0]
    assert case["reporter"]["full_name"] == NAME and case["reporter"]["email"] == EMAIL
    assert case["events"][0]["kind"] == "submitted" and case["photos"] == []
    assert [d["user"] for d in case["disclosures"]] == ["operator"]
    assert "Lê Thị Cúc" not in response.get_data(as_text=True)
    entry = db.session.scalars(db.select(AuditLog).where(AuditLog.action == "personal_data.export")).one()
    assert entry.actor_label == "admin" and entry.detail == {"cases": 2}
    assert PHONE not in json.dumps(entry.detail) + entry.target
    cli = run(seeded, "personal-data", "export", "--phone", "0912345678")
    assert cli.exit_code == 0 and len(json.loads(cli.stdout)["cases"]) == 2


def test_erasure_on_request_removes_the_identity_everywhere_and_keeps_the_cases(seeded, client):
    api = Api(client)
    first, second = api.submit(), api.submit(description="Đường ngập sâu, xe máy chết máy")
    other = api.submit(phone="0987654321", full_name="Lê Thị Cúc", description="Một phản ánh khác")
    login(client, "admin")
    client.get("/lang/en")
    refused = client.post("/admin/personal-data/request", data={"phone": PHONE, "action": "erase"})
    assert refused.status_code == 422 and case_of(first).reporter_phone == PHONE
    bad = client.post("/admin/personal-data/request", data={"phone": "12", "action": "erase",
                                                           "confirm": "y"})
    assert bad.status_code == 422 and "Vietnamese phone number" in bad.get_data(as_text=True)
    done = client.post("/admin/personal-data/request", data={"phone": "0912 345 678",
                                                            "action": "erase", "confirm": "y"})
    assert done.status_code == 302
    for code in (first, second):
        case = case_of(code)
        assert (case.reporter_name, case.reporter_phone, case.reporter_email) == ("[erased]", "[erased]", None)
        assert case.description and case.status == "open"
    assert case_of(other).reporter_name == "Lê Thị Cúc"
    entry = db.session.scalars(db.select(AuditLog).where(AuditLog.action == "personal_data.erase")).one()
    assert entry.detail == {"cases": 2} and PHONE not in json.dumps(entry.detail) + entry.target
    # the phone no longer finds anything; a second request finds nothing to erase
    assert run(seeded, "personal-data", "erase", "--phone", PHONE, "--yes").output.strip() \
        == "the reporter's identity was removed from 0 case(s)"
    assert json.loads(run(seeded, "personal-data", "export", "--phone", PHONE).stdout)["cases"] == []


# ---------------------------------------------------------------- key rotation

def test_key_rotation_reencrypts_every_row_and_reindexes_phones(seeded, client):
    from caseapp.services.privacy.encryption import phone_lookup
    old_key = seeded.config["PERSONAL_DATA_KEYS"][0]
    code = Api(client).submit()
    before = raw_identity(code)
    new_key = Fernet.generate_key().decode()
    seeded.config["PERSONAL_DATA_KEYS"] = [new_key, old_key]
    try:
        # during the rotation both keys read, and the phone is still found
        assert case_of(code).reporter_name == NAME
        assert db.session.scalar(db.select(Case.tracking_code).where(
            phone_lookup(Case.reporter_phone_digest, PHONE))) == code
        result = run(seeded, "personal-data", "rotate-keys")
        assert result.exit_code == 0 and "1 re-encrypted, 1 phone digest(s)" in result.output
        after = raw_identity(code)
        assert after[0] != before[0] and after[3] != before[3]
        # the old key can go now
        seeded.config["PERSONAL_DATA_KEYS"] = [new_key]
        assert case_of(code).reporter_email == EMAIL
        assert db.session.scalar(db.select(Case.tracking_code).where(
            phone_lookup(Case.reporter_phone_digest, PHONE))) == code
        again = run(seeded, "personal-data", "rotate-keys")
        assert "0 re-encrypted, 0 phone digest(s)" in again.output
    finally:
        seeded.config["PERSONAL_DATA_KEYS"] = [old_key]
        db.session.expire_all()


# ---------------------------------------------------------------- migration

def test_the_migration_encrypts_existing_rows_and_the_downgrade_decrypts_them(seeded, client):
    from flask_migrate import downgrade, upgrade
    code = Api(client).submit()
    db.session.remove()
    downgrade(revision="0006_case_district")
    try:
        name, phone, email = db.session.execute(sql(
            "SELECT reporter_name, reporter_phone, reporter_email FROM case_file "
            "WHERE tracking_code = :code"), {"code": code}).one()
        assert (name, phone, email) == (NAME, PHONE, EMAIL)
        db.session.remove()
    finally:
        upgrade()
    name, phone, email, digest = raw_identity(code)
    assert NAME not in name and PHONE not in phone and digest
    assert case_of(code).reporter_name == NAME
