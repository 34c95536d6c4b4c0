"""Public endpoints are rate-limited per client, with the JSON error shape."""
import pytest


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_report_submission_is_rate_limited(seeded, sqlite_url):
    from caseapp import create_app
    from caseapp.extensions import limiter
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sqlite_url, "REDIS_URL": None,
                      "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "SECRET_KEY": "test-secret"})
    try:
        client = app.test_client()
        responses = [client.post("/api/v1/reports", json={}) for _ in range(61)]
    finally:
        limiter.reset()
        limiter.enabled = False
    assert [r.status_code for r in responses[:60]] == [422] * 60
    assert responses[60].status_code == 429
    assert responses[60].get_json()["error"]["code"] == "too_many_requests"
