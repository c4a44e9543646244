"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from ogservice import create_app

app = create_app()
