"""CaseBridge: field reports from citizens to the provincial government, on legal deadlines."""
from __future__ import annotations

import logging

from flask import Flask

from . import config as config_module
from .extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    """Application factory: the environment's config, overridden by `config` (tests)."""
    app = Flask(__name__, instance_path=str(config_module.INSTANCE_DIR))
    app.config.update(config_module.from_environment())
    app.config.update(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh",
        WTF_CSRF_TIME_LIMIT=None,
        EMBEDDED_SWEEPER=True,
    )
    if config:
        app.config.update(config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # PostgreSQL's JIT compiles a query plan for tens of milliseconds: a loss on the leaders'
        # grouped counts (measured: a dashboard 1.8 s → 1.4 s at 1.1 M cases), no gain elsewhere.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"], "connect_args": {"options": "-c jit=off"}}
    config_module.require_secret_key(app.config)  # before anything can sign a cookie
    config_module.require_personal_data_keys(app.config)  # reporters' identities: never in clear
    app.config["REMEMBER_COOKIE_SECURE"] = app.config.get("SESSION_COOKIE_SECURE", False)
    _trust_proxies(app)
    app.instance_path and _ensure_instance_dir(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)  # one INFO line per task state change
    register_extensions(app)
    register_blueprints(app)
    from .errors import refuse_control_characters, register_error_handlers
    register_error_handlers(app)
    app.before_request(refuse_control_characters)
    from .cli import register_cli
    register_cli(app)
    from timers.embedded import register_embedded_sweeper
    register_embedded_sweeper(app)
    from timers.wiring import register_scheduler
    register_scheduler(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client's address, scheme and host from
    their X-Forwarded-* headers, so request.is_secure (HSTS), the rate limits and the lockout see
    the real client; without proxies those headers are ignored (anyone can send them)."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def _ensure_instance_dir(app: Flask) -> None:
    import os
    os.makedirs(app.instance_path, exist_ok=True)


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app."""
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _tune_sqlite(app)
    migrate.init_app(app, db, directory=str(config_module.INSTANCE_DIR.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    from .security_headers import init_security_headers
    init_security_headers(app)
    from .i18n import init_i18n
    init_i18n(app)
    from .views.auth import load_user
    login_manager.user_loader(load_user)


def _tune_sqlite(app: Flask) -> None:
    from sqlalchemy import event
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()


def register_blueprints(app: Flask) -> None:
    """One blueprint per audience."""
    from .views import admin, api, auth, cases, health, leader, process, public, work
    for module in (health, api, public, auth, work, cases, admin, leader, process):
        app.register_blueprint(module.bp)
    from .views import announcements, board  # emergency announcements, public board
    for module in (announcements, board):
        app.register_blueprint(module.bp)
    from .views import open311  # Open311 GeoReport v2 for other systems
    app.register_blueprint(open311.bp)
    from .views import openapi  # the OpenAPI description of /api/v1
    app.register_blueprint(openapi.bp)
    from .views import process_checks  # the modeler's live check and diffs (issue 9)
    app.register_blueprint(process_checks.bp)
    from .views import process_modeler  # the modeler in the browser, drafts, XML downloads
    app.register_blueprint(process_modeler.bp)
    from .views import process_moves  # moving running cases to a newer version (issue 9)
    app.register_blueprint(process_moves.bp)
