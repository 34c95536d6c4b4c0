"""Health check for load balancers and operators."""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
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
            status["timers"] = "rq"
        except Exception as exc:
            status.update(status="degraded", timers=f"rq unreachable: {exc.__class__.__name__}")
            code = 503
    return jsonify(status), code
