"""WSGI entry point: `gunicorn wsgi:app` (and what `flask run` serves)."""

from app import create_app
from app.platform.jobs import start_periodic_jobs

app = create_app()

if not app.config["REDIS_URL"]:
    start_periodic_jobs(app)
