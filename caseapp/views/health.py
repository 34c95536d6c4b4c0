"""Health check for load balancers and operators."""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """What works and what does not; 503 when degraded, and it always answers (never raises)."""
    status, code = {"status": "ok", "db": "ok", "timers": "embedded"}, 200
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # report, never raise: this endpoint must answer
        db.session.rollback()
        status.update(status="degraded", db=f"error: {exc.__class__.__name__}")
        code = 503
    if current_app.config.get("REDIS_URL"):
        try:
            from timers.scheduling import redis_connection
            redis_connection(current_app).ping()
            status.update(redis="ok", timers="rq")
        except Exception as exc:  # reports are still taken: the workers' sweep catches up
            status.update(status="degraded", redis=f"down: {exc.__class__.__name__}",
                          timers=f"rq unreachable: {exc.__class__.__name__}")
            code = 503
    if limiter.enabled:
        if limiter.storage.check():  # never raises: False when the storage does not answer
            status["rate_limits"] = "ok"
        else:  # limits are counted per process meanwhile (Flask-Limiter's in-memory fallback)
            status.update(status="degraded", rate_limits="in-memory fallback (storage unreachable)")
            code = 503
    return jsonify(status), code
