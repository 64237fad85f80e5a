"""Who hears about each ledger event, and what they read: outbox rows written in the same
transaction as the event. Delivery is ``dispatch.notify`` (an RQ job per row), started
after commit and by a relay that picks up anything left behind (Redis was down).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import redis
from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from rq import Retry
from rq.exceptions import DuplicateJobError
from sqlalchemy import event as sa_event
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dispatch.extensions import db, get_queue
from dispatch.models import Case, CaseEvent, Channel, Notification, Role, User

log = logging.getLogger(__name__)
PENDING_KEY = "dispatch.new_notifications"
RETRY = Retry(max=3, interval=[10, 60, 300])  # growing back-off; then listed as failed


def _studio_desk(case: Case) -> list[User]:
    if case.studio_id is None:
        return []
    return list(db.session.scalars(select(User).where(
        User.studio_id == case.studio_id, User.active.is_(True),
        User.role.in_((Role.COORDINATOR, Role.ADMIN)))))


def _url(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _add(case: Case, event: CaseEvent, channel: Channel, recipient: str, text: str,
         url: str, **target: Any) -> None:
    key = f"{case.id}:{event.seq}:{channel.value}:{recipient}"
    db.session.add(Notification(key=key, case_id=case.id, channel=channel, text=text,
                                url=url, **target))


def plan(case: Case, event: CaseEvent) -> None:
    """Add the outbox rows for one ledger event (the caller's transaction commits them)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        _plan(case, event)


def _plan(case: Case, event: CaseEvent) -> None:
    desk_url = _url(f"/desk/cases/{case.id}")
    action, title = event.action, case.title[:40]
    if action == "register":
        for user in _studio_desk(case):
            _add(case, event, Channel.INBOX, f"u{user.id}",
                 _("New case to receive: %(title)s", title=title), desk_url, user_id=user.id)
    elif action in ("assign", "reassign", "reopen"):
        text = _("New work for you: %(title)s. Please accept it.", title=title)
        team = case.assigned_team
        if team is not None:
            if team.captain_id:
                _add(case, event, Channel.INBOX, f"u{team.captain_id}", text, _url("/v/"),
                     user_id=team.captain_id)
            if team.webhook_url:
                _add(case, event, Channel.WEBHOOK, f"t{team.id}",
                     _("[Dispatch] %(team)s: %(text)s %(url)s", team=team.name_zh, text=text,
                       url=desk_url), desk_url, team_id=team.id)
        elif case.assigned_volunteer_id:
            _add(case, event, Channel.INBOX, f"u{case.assigned_volunteer_id}", text,
                 _url("/v/"), user_id=case.assigned_volunteer_id)
    elif action == "share_out" and case.handled_by_id:
        _add(case, event, Channel.INBOX, f"u{case.handled_by_id}",
             _("Your captain shared out: %(title)s", title=title), _url("/v/"),
             user_id=case.handled_by_id)
    elif action == "claim":
        for user in _studio_desk(case):
            _add(case, event, Channel.INBOX, f"u{user.id}",
                 _("%(name)s claimed: %(title)s", name=event.actor_name, title=title),
                 desk_url, user_id=user.id)
    elif action == "reply" and case.reporter_wants_updates and case.reporter_phone:
        page = _url(f"/c/{case.tracking_code}")
        _add(case, event, Channel.SMS, "resident",
             _("[Dispatch] Your report “%(title)s” has a reply: %(url)s", title=title[:20],
               url=page), page, phone=case.reporter_phone)
    elif action == "give_feedback" and case.feedback_satisfied is False:
        for user in _studio_desk(case):
            _add(case, event, Channel.INBOX, f"u{user.id}",
                 _("The resident is not satisfied: %(title)s", title=title), desk_url,
                 user_id=user.id)


def tell_user(case: Case, event: CaseEvent, user_id: int, text: str) -> None:
    """A message for one person about an event the rules above do not cover."""
    _add(case, event, Channel.INBOX, f"u{user_id}", text, _url("/v/"), user_id=user_id)


# --- from the outbox to the queue ------------------------------------------------------------

def enqueue(notification_id: int, again: bool = False) -> bool:
    """One job per row; the job id makes a second enqueue of a waiting job a no-op.
    ``again`` (a coordinator's retry) starts a new job beside any retry RQ has scheduled;
    the job itself skips a row already sent."""
    from dispatch.notify import deliver

    job_id = f"notify-{notification_id}" + (f"-again-{secrets.token_hex(4)}" if again else "")
    try:
        get_queue().enqueue(deliver, notification_id, job_id=job_id, retry=RETRY,
                            job_timeout=30, unique=True)
    except DuplicateJobError:
        pass
    except redis.RedisError as error:
        log.warning("notification %s stays in the outbox: %s", notification_id, error)
        return False
    return True


def relay_pending(limit: int = 500) -> int:
    """Queue every row not yet sent nor failed: what a Redis outage left behind."""
    pending = db.session.scalars(select(Notification.id).where(
        Notification.sent_at.is_(None), Notification.failed_at.is_(None))
        .order_by(Notification.id).limit(limit))
    return sum(enqueue(nid) for nid in list(pending))


def retry(row: Notification) -> None:
    """A coordinator's "try again" on a failed delivery: a fresh set of attempts."""
    db.session.execute(update(Notification).where(Notification.id == row.id,
                                                  Notification.sent_at.is_(None))
                       .values(failed_at=None, attempts=0))


@sa_event.listens_for(Session, "after_flush")
def _remember_new(session: Session, _context: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, Notification)]
    if new:
        session.info.setdefault(PENDING_KEY, []).extend(new)


@sa_event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    """Side effects after commit: the rows exist before any worker looks for them."""
    rows = session.info.pop(PENDING_KEY, [])
    if rows and has_app_context() and current_app.config.get("NOTIFY_AFTER_COMMIT", True):
        for row in rows:
            enqueue(row.id)


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
