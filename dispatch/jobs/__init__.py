"""The queue's only door. RQ entry points (thin: they take ids, re-read state, and are safe
to run twice), queueing after commit, the outbox relay, and the periodic schedule.

    base.py      the ``@job`` decorator (an app context around every job)
    outbox.py    notification rows → delivery jobs, after commit and by the relay
    delivery.py  the job that sends one notification through its channel (``dispatch.notify``)
    exports.py   the ledger export's job, and queueing it
    photos.py    the photo job (re-encode, thumbnail), queued after the commit that added it
    periodic.py  the sweeps, the digest, the relay and the health check
    schedule.py  when each periodic job runs (RQ's cron scheduler)

Services never import this package; views and the CLI do, after they commit.
"""

from dispatch.jobs import outbox, photos  # register the after-commit hooks on every Session

__all__ = ["outbox", "photos"]
