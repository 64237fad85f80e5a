"""Periodic jobs, run by RQ's cron scheduler in our outage-proof loop (no system cron):

    python -m dispatch.jobs.cron     # `make run` starts it beside the worker (see cron.py)
"""

import os

from rq import cron

from dispatch.jobs.periodic import (
    anonymise_expired,
    auto_confirm_replied,
    daily_digest,
    escalate_overdue_cases,
    relay_notifications,
    release_expired_claims,
    standing_reminders,
)
from dispatch.jobs.photos import requeue_waiting_photos

cron.register(release_expired_claims, "default", interval=300, job_timeout=120)
# Anything the web request could not queue (Redis was down) goes out from here: at most this
# long after Redis is back (RELAY_SECONDS; the fault tests shorten it).
cron.register(relay_notifications, "default", interval=int(os.environ.get("RELAY_SECONDS", "60")),
              job_timeout=120)
cron.register(escalate_overdue_cases, "default", interval=600, job_timeout=300)
cron.register(auto_confirm_replied, "default", cron="30 2 * * *", job_timeout=300)  # 02:30 UTC
cron.register(daily_digest, "default", cron="30 0 * * *", job_timeout=300)  # 08:30 Beijing
cron.register(anonymise_expired, "default", cron="45 2 * * *", job_timeout=600)  # 02:45 UTC
# Shifts tomorrow and in an hour, short shifts the evening before, visits coming due.
cron.register(standing_reminders, "default", interval=600, job_timeout=300)
# Photos whose processing job was lost (Redis down at commit) and that nobody has viewed.
cron.register(requeue_waiting_photos, "default", interval=300, job_timeout=120)
