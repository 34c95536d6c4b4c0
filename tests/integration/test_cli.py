"""The admin command line: SLA policies, calendar days, due times, deploy, demo data."""
from caseapp.extensions import db
from caseapp.models import CalendarDay, SlaPolicy, User


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_sla_due_converts_any_offset(seeded):
    # 16:30 UTC on Friday is 23:30 Friday in Cà Mau: a working day, 2 hours
    result = run(seeded, "sla", "due", "dispatch", "--at", "2026-11-27T16:30:00Z")
    assert result.exit_code == 0 and result.output.strip() == "2026-11-28T01:30:00+07:00"
    result = run(seeded, "sla", "due", "dispatch", "--at", "2026-11-27T18:30:00+00:00")
    assert result.output.strip() == "2026-11-28T13:30:00+07:00"
    result = run(seeded, "sla", "due", "handle", "--at", "2027-02-08T09:00:00+07:00")
    assert result.output.strip() == "2027-02-09T09:00:00+07:00"


def test_sla_set_changes_the_policy(seeded):
    result = run(seeded, "sla", "set", "dispatch", "--working", "PT3H", "--dayoff", "PT10H")
    assert result.exit_code == 0, result.output
    row = db.session.get(SlaPolicy, "dispatch")
    db.session.refresh(row)
    assert (row.working_duration, row.dayoff_duration) == ("PT3H", "PT10H")
    result = run(seeded, "sla", "due", "dispatch", "--at", "2026-11-25T10:00:00+07:00")
    assert result.output.strip() == "2026-11-25T13:00:00+07:00"


def test_sla_set_rejects_bad_durations(seeded):
    result = run(seeded, "sla", "set", "dispatch", "--working", "2 hours", "--dayoff", "PT10H")
    assert result.exit_code == 2 and "working" in result.output
    db.session.expire_all()
    assert db.session.get(SlaPolicy, "dispatch").working_duration == "PT2H"


def test_calendar_days_change_the_regime(seeded):
    assert run(seeded, "calendar", "add-working-day", "2026-12-05").exit_code == 0
    assert run(seeded, "sla", "due", "dispatch", "--at", "2026-12-05T09:00:00+07:00").output.strip() \
        == "2026-12-05T11:00:00+07:00"
    assert run(seeded, "calendar", "add-day-off", "2026-12-07").exit_code == 0
    assert run(seeded, "sla", "due", "dispatch", "--at", "2026-12-07T09:00:00+07:00").output.strip() \
        == "2026-12-07T21:00:00+07:00"
    kinds = {d.day.isoformat(): d.kind for d in db.session.scalars(db.select(CalendarDay))}
    assert kinds == {"2026-12-05": "working", "2026-12-07": "day_off"}
    bad = run(seeded, "calendar", "add-day-off", "07/12/2026")
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_seed_demo_is_idempotent(seeded):
    before = db.session.scalar(db.select(db.func.count()).select_from(User))
    result = run(seeded, "seed-demo", "--password", "pw")
    assert result.exit_code == 0 and "officer.police" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == before
    assert run(seeded, "deploy").output.strip().endswith(")") and "already deployed" in run(seeded, "deploy").output
