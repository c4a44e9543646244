"""WSGI entry point: `gunicorn -k ogservice.server.worker.BufferingWorker --preload wsgi:app`.

(`ogservice serve` runs the same without this file; see README: Serving.)
"""

from ogservice import create_app

app = create_app()
