"""Flask extensions, created unbound and initialised in create_app."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# Objects stay usable after commit: commands re-read what they lock (populate_existing), so no
# reload of every attribute after each commit is needed.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Rate limiting never stops intake: with its Redis storage unreachable the limits are counted in
# this process's memory (Flask-Limiter logs the switch and rechecks Redis with back-off), and any
# other storage error is logged and the request let through. Short socket timeouts: a Redis that
# does not answer must not hold a report for long.
limiter = Limiter(key_func=get_remote_address, in_memory_fallback_enabled=True, swallow_errors=True,
                  storage_options={"socket_connect_timeout": 1, "socket_timeout": 1})
