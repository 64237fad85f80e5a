"""Delivery: the RQ job that sends one outbox row through its channel.

Each row is sent at most once per channel: the job re-reads the row and returns if it was
already sent; the in-app inbox is exactly once (a unique row per notification); webhooks
and the SMS gateway receive the row's key so that they can drop a repeat. The one window
for a repeat is a worker killed after sending and before stamping the row: the retry then
sends again with the same key.

On PostgreSQL the stamp is committed without waiting for the WAL to reach the disk
(``synchronous_commit`` off for that one transaction): the flush was 3–4 ms of a ~7 ms
delivery here. Only a crash of the database server itself can lose such a commit (the last
fraction of a second of them); the row is then simply unsent again, with its inbox message
gone in the same transaction, and the relay sends it once more: the same window as a worker
killed before stamping, with the same key. The outbox row itself was written by the event's
own, fully durable, transaction.
"""

from __future__ import annotations

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.jobs.base import job
from dispatch.models import Channel, InboxMessage, Notification, Team, utcnow
from dispatch.notify.http import send_sms, send_webhook
from dispatch.notify.mail import send_email

MAX_ATTEMPTS = 4  # the first try and RQ's three retries


@job
def deliver(notification_id: int) -> str:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))  # see the docstring
    # The row and its team in one round trip: the webhook's ``session.get(Team)`` then
    # finds the team in the session instead of asking the database again.
    found = db.session.execute(select(Notification, Team).outerjoin(
        Team, Team.id == Notification.team_id).where(Notification.id == notification_id)).first()
    row = found[0] if found else None
    if row is None:
        return "gone"
    if row.sent_at is not None:
        return "already sent"
    try:
        if row.channel == Channel.INBOX:
            _to_inbox(row)
        elif row.channel == Channel.WEBHOOK:
            send_webhook(row)
        elif row.channel == Channel.SMS:
            send_sms(row)
        elif row.channel == Channel.EMAIL:
            send_email(row)
    except Exception as error:
        db.session.rollback()
        attempts = row.attempts + 1
        db.session.execute(update(Notification).where(Notification.id == row.id).values(
            attempts=attempts, last_error=str(error)[:500],
            failed_at=utcnow() if attempts >= MAX_ATTEMPTS else None))
        db.session.commit()
        raise
    db.session.execute(update(Notification).where(Notification.id == row.id,
                                                  Notification.sent_at.is_(None))
                       .values(sent_at=utcnow(), attempts=row.attempts + 1, last_error=None))
    db.session.commit()
    return "sent"


def _to_inbox(row: Notification) -> None:
    """One INSERT that does nothing when the message is already there (exactly once, by the
    unique notification id): no SAVEPOINT and its release around it, two round trips less."""
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    values = {"notification_id": row.id, "user_id": row.user_id, "text": row.text,
              "url": row.url, "message_code": row.message_code,
              "message_params": row.message_params}
    if insert is None:  # another database: the portable way
        try:
            with db.session.begin_nested():
                db.session.add(InboxMessage(**values))
        except IntegrityError:
            pass  # already in the inbox: exactly once
        return
    db.session.execute(insert(InboxMessage).values(**values)
                       .on_conflict_do_nothing(index_elements=["notification_id"]))
