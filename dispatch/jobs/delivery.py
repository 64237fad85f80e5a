"""Delivery: the RQ job that sends outbox rows through their channels: the rows of one ledger
event together (``jobs/outbox.py`` queues them so), or one row (the desk's "try again").

Each row is sent at most once per channel: the job re-reads the rows and skips any already
sent; the in-app inbox is exactly once (a unique row per notification); webhooks and the
SMS gateway receive the row's key so that they can drop a repeat. The one window for a
repeat is a worker killed after sending and before stamping the rows: the retry then sends
again with the same keys.

The rows of one event go in one job, read in one statement and stamped in one transaction:
the job's own cost (RQ's dequeue, heartbeat and result, the app context, the commit) is
paid once per event instead of once per row. The rows that leave the building (webhook,
SMS, email) are sent one after the other, then the inbox rows written (one INSERT). One that
fails does not stop the others: its error is recorded, what was sent is stamped, and the job
then raises so that RQ retries it, which sends only what is still unsent. A job stays well
inside its 30 s timeout (the relay counts a delivery older than that as abandoned): after
the first, no outside send starts later than ``SEND_BUDGET_S`` into the job; what is left
waits for the retry.

On PostgreSQL the stamp is committed without waiting for the WAL to reach the disk
(``synchronous_commit`` off for that one transaction, set by the statement that reads the
rows): the flush was 3–4 ms of a ~7 ms delivery here. Only a crash of the database server
itself can lose such a commit (the last fraction of a second of them); the rows are then
simply unsent again, with their inbox messages gone in the same transaction, and the relay
sends them once more: the same window as a worker killed before stamping, with the same
keys. The outbox rows themselves were
written by the event's own, fully durable, transaction.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.jobs.base import job
from dispatch.models import Channel, InboxMessage, Notification, Team, utcnow
from dispatch.notify.http import post_webhook, send_sms
from dispatch.notify.mail import send_email

MAX_ATTEMPTS = 4  # the first try and RQ's three retries
SEND_BUDGET_S = 12.0  # no outside send starts later than this into the job (timeout: 30 s)

# Core statements on the tables, built once (the compiled form is cached), run on the
# session's connection: no ORM objects, no ORM layer per statement.
_rows, _teams, _inbox = Notification.__table__, Team.__table__, InboxMessage.__table__
_READ = (select(_rows.c.id, _rows.c.key, _rows.c.channel, _rows.c.text, _rows.c.url,
                _rows.c.user_id, _rows.c.message_code, _rows.c.message_params,
                _rows.c.sent_at, _rows.c.attempts, _teams.c.webhook_url, _teams.c.webhook_kind)
         .select_from(_rows.outerjoin(_teams, _teams.c.id == _rows.c.team_id))
         .where(_rows.c.id.in_(bindparam("ids", expanding=True))).order_by(_rows.c.id))
# PostgreSQL: the same statement also turns ``synchronous_commit`` off for this transaction
# alone (``set_config(..., is_local => true)``, as ``SET LOCAL`` does; see the docstring),
# without a round trip of its own.
_READ_PG = _READ.add_columns(func.set_config("synchronous_commit", "off", True))
_STAMP = (update(_rows).where(_rows.c.id.in_(bindparam("ids", expanding=True)),
                              _rows.c.sent_at.is_(None))
          .values(sent_at=bindparam("now", type_=_rows.c.sent_at.type),
                  attempts=_rows.c.attempts + 1, last_error=None))
# The inbox message, or nothing when it is already there (exactly once, by the unique
# notification id): no SAVEPOINT and its release around it.
_TO_INBOX = {name: insert(_inbox).on_conflict_do_nothing(index_elements=["notification_id"])
             for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))}


class Deferred(Exception):
    """Rows left unsent for the retry: the job's time for outside sends was spent."""


@job
def deliver(notification_id: int, *more_ids: int) -> str:
    """Send the row ``notification_id`` and the rows ``more_ids`` (of the same event)."""
    connection = db.session.connection()
    read = _READ_PG if connection.dialect.name == "postgresql" else _READ
    found = list(connection.execute(read, {"ids": [notification_id, *more_ids]}))
    if not found:
        return "gone"
    rows = [row for row in found if row.sent_at is None]
    if not rows:
        return "already sent"
    sent: list[int] = []
    errors: list[tuple[int, Exception]] = []
    # The outside sends first: on SQLite the inbox INSERT takes the write lock, which must
    # not be held while a robot or gateway takes its time to answer.
    started, tried, deferred = time.monotonic(), 0, 0
    for row in rows:
        if row.channel == Channel.INBOX:
            continue
        if tried and time.monotonic() - started > SEND_BUDGET_S:
            deferred += 1  # not tried: no attempt counted
            continue
        tried += 1
        try:
            _send_outside(row)
        except Exception as error:
            errors.append((row.id, error))
        else:
            sent.append(row.id)
    inbox = [row for row in rows if row.channel == Channel.INBOX]
    if inbox:
        try:
            _to_inbox(connection, inbox)
        except Exception as error:
            db.session.rollback()
            _record(db.session.connection(), found, sent,
                    [*errors, *((row.id, error) for row in inbox)])
            raise
        sent.extend(row.id for row in inbox)
    _record(connection, found, sent, errors)
    if errors:
        raise errors[0][1]
    if deferred:
        raise Deferred(f"{deferred} deliveries left for the retry")
    return "sent"


def _send_outside(row: Row[Any]) -> None:
    if row.channel == Channel.WEBHOOK:
        if not row.webhook_url:
            raise RuntimeError("the team has no webhook any more")
        post_webhook(row.webhook_url, row.webhook_kind or "wecom", row.text, row.key)
    elif row.channel in (Channel.SMS, Channel.EMAIL):
        # Rare channels: the channel's own code reads the ORM row (one primary-key SELECT
        # beside a network send).
        notification = db.session.get(Notification, row.id)
        assert notification is not None
        (send_sms if row.channel == Channel.SMS else send_email)(notification)


def _record(connection: Connection, found: Sequence[Row[Any]], sent: Sequence[int],
            errors: Sequence[tuple[int, Exception]]) -> None:
    """Stamp the rows sent (one UPDATE), count a failed attempt on the others; commit."""
    if sent:
        connection.execute(_STAMP, {"ids": sent, "now": utcnow()})
    attempts_of = {row.id: row.attempts for row in found}
    for row_id, error in errors:
        attempts = attempts_of[row_id] + 1
        connection.execute(update(_rows).where(_rows.c.id == row_id).values(
            attempts=attempts, last_error=str(error)[:500],
            failed_at=utcnow() if attempts >= MAX_ATTEMPTS else None))
    db.session.commit()


def _to_inbox(connection: Connection, rows: Sequence[Row[Any]]) -> None:
    """The rows' inbox messages in one statement, each at most once."""
    values = [{"notification_id": row.id, "user_id": row.user_id, "text": row.text,
               "url": row.url, "message_code": row.message_code,
               "message_params": row.message_params} for row in rows]
    statement = _TO_INBOX.get(connection.dialect.name)
    if statement is not None:
        connection.execute(statement, values)
        return
    for value in values:  # another database: the portable way
        try:
            with db.session.begin_nested():
                db.session.add(InboxMessage(**value))
        except IntegrityError:
            pass  # already in the inbox: exactly once
