"""Schedules for `rq cron jobs/cron.py` (run beside `python -m jobs.worker` when REDIS_URL is set).

Without Redis the web process runs the same jobs on a timer thread (app.platform.jobs).
"""

from rq import cron

from jobs.delivery import relay_pending
from jobs.email import relay_emails
from jobs.events import release_expired_reservations

cron.register(relay_pending, "default", interval=30)
cron.register(relay_emails, "default", interval=30)
cron.register(release_expired_reservations, "default", interval=60)
