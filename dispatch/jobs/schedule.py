"""Periodic jobs, run by RQ's cron scheduler in our outage-proof loop (no system cron):

    python -m dispatch.jobs.cron     # `make run` starts it beside the worker (see cron.py)
"""

from rq import cron

from dispatch.jobs.periodic import (
    auto_confirm_replied,
    daily_digest,
    escalate_overdue_cases,
    relay_notifications,
    release_expired_claims,
    standing_reminders,
)

cron.register(release_expired_claims, "default", interval=300, job_timeout=120)
# Anything the web request could not queue (Redis was down) goes out from here.
cron.register(relay_notifications, "default", interval=60, job_timeout=120)
cron.register(escalate_overdue_cases, "default", interval=600, job_timeout=300)
cron.register(auto_confirm_replied, "default", cron="30 2 * * *", job_timeout=300)  # 02:30 UTC
cron.register(daily_digest, "default", cron="30 0 * * *", job_timeout=300)  # 08:30 Beijing
# Shifts tomorrow and in an hour, short shifts the evening before, visits coming due.
cron.register(standing_reminders, "default", interval=600, job_timeout=300)
