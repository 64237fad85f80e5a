"""Delivery: the RQ job that sends one outbox row through its channel.

Each row is sent at most once per channel: the job re-reads the row and returns if it was
already sent; the in-app inbox is exactly once (a unique row per notification); webhooks
and the SMS gateway receive the row's key so that they can drop a repeat. The one window
for a repeat is a worker killed after sending and before stamping the row: the retry then
sends again with the same key.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.jobs.base import job
from dispatch.models import Channel, InboxMessage, Notification, utcnow
from dispatch.notify.http import send_sms, send_webhook
from dispatch.notify.mail import send_email

MAX_ATTEMPTS = 4  # the first try and RQ's three retries


@job
def deliver(notification_id: int) -> str:
    row = db.session.get(Notification, notification_id)
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
    try:
        with db.session.begin_nested():
            db.session.add(InboxMessage(notification_id=row.id, user_id=row.user_id,
                                        text=row.text, url=row.url,
                                        message_code=row.message_code,
                                        message_params=row.message_params))
    except IntegrityError:
        pass  # already in the inbox: exactly once
