"""WSGI entry point: gunicorn 'wsgi:app', flask --app wsgi."""
from caseapp import create_app

app = create_app()
