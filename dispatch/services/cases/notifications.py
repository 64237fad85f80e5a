"""Who hears about each ledger event, and what they read: outbox rows written in the same
transaction as the event. Getting them out is ``dispatch.jobs.outbox`` (queued after commit,
and by a relay that picks up anything left behind) and ``dispatch.jobs.delivery``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from dispatch.extensions import db
from dispatch.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    Channel,
    Notification,
    Role,
    Team,
    User,
    utcnow,
)
from dispatch.models.notify_texts import render as render_message
from dispatch.services.responders import rota

log = logging.getLogger(__name__)
QUIET_KEY = "dispatch.quiet"


def _studio_desk(case: Case, leads_only: bool = False) -> list[User]:
    if case.studio_id is None:
        return []
    query = select(User).where(User.studio_id == case.studio_id, User.active.is_(True),
                               User.role.in_((Role.COORDINATOR, Role.ADMIN)))
    if leads_only:
        query = query.where(User.is_studio_lead.is_(True))
    return list(db.session.scalars(query))


def _on_duty_desk(case: Case, event: CaseEvent) -> list[User]:
    """The coordinators on the studio's duty rota that day: a new case is theirs first.
    One query (the rota as a subquery): it runs for every case filed."""
    if case.studio_id is None:
        return []
    return list(db.session.scalars(select(User).where(
        User.id.in_(rota.on_rota_today(case.studio_id, event.created_at or utcnow())),
        User.active.is_(True), User.role.in_((Role.COORDINATOR, Role.ADMIN)))))


def _url(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _add(case: Case, event: CaseEvent, channel: Channel, recipient: str, text: str,
         url: str, **target: Any) -> None:
    key = f"{case.id}:{event.seq}:{channel.value}:{recipient}"
    db.session.add(Notification(key=key, case_id=case.id, channel=channel, text=text,
                                url=url, **target))


Message = Callable[[], str] | tuple[str, dict[str, Any]]


def _language(user: User | None) -> str:
    return (user and user.language) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _tell(case: Case, event: CaseEvent, user_id: int | None, message: Message,
          url: str) -> None:
    """A staff member hears in their inbox (and by email if they chose), in their language.
    ``message`` is a code with parameters (models/notify_texts.py: the inbox words it in
    the reader's language when read) or, from older callers, a function that words it."""
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.active:
        return
    code, params = message if isinstance(message, tuple) else (None, None)
    with force_locale(_language(user)):
        text = render_message(code, params) if code else message()  # type: ignore[operator]
    _add(case, event, Channel.INBOX, f"u{user.id}", text, url, user_id=user.id,
         message_code=code, message_params=params)
    if user.notify_by_email and user.email:
        _add(case, event, Channel.EMAIL, f"u{user.id}", text, url, user_id=user.id)


@contextmanager
def quiet() -> Iterator[None]:
    """Replaying history (the demo seed) tells nobody: those events are long past."""
    db.session.info[QUIET_KEY] = True
    try:
        yield
    finally:
        db.session.info.pop(QUIET_KEY, None)


def plan(case: Case, event: CaseEvent) -> None:
    """Add the outbox rows for one ledger event (the caller's transaction commits them)."""
    if db.session.info.get(QUIET_KEY):
        return
    desk_url, work_url = _url(f"/desk/cases/{case.id}"), _url("/v/")
    action, title = event.action, case.title[:40]
    if action == "register":
        for user in _on_duty_desk(case, event) or _studio_desk(case):
            _tell(case, event, user.id, ("new_case", {"title": title}), desk_url)
    elif action in ("assign", "reassign", "reopen"):
        new_work = ("new_work", {"title": title})

        team = case.assigned_team
        if team is not None:
            _tell(case, event, team.captain_id, new_work, work_url)
            if team.webhook_url:  # the group chat speaks the default language
                with force_locale(_language(None)):
                    text = _("[Dispatch] %(team)s: %(text)s %(url)s", team=team.name_zh,
                             text=render_message(*new_work), url=desk_url)
                _add(case, event, Channel.WEBHOOK, f"t{team.id}", text, desk_url,
                     team_id=team.id)
        else:
            _tell(case, event, case.assigned_volunteer_id, new_work, work_url)
    elif action == "return_work":  # the check failed: whoever does the work must know why
        sent_back = ("sent_back", {"title": title, "note": event.text[:200]})

        people = {case.assigned_volunteer_id, case.handled_by_id,
                  case.assigned_team.captain_id if case.assigned_team else None}
        for user_id in sorted(p for p in people if p is not None):
            _tell(case, event, user_id, sent_back, work_url)
    elif action == "share_out":
        _tell(case, event, case.handled_by_id, ("shared_out", {"title": title}), work_url)
    elif action == "claim":
        for user in _studio_desk(case):
            _tell(case, event, user.id, ("claimed", {"name": event.actor_name,
                                                     "title": title}), desk_url)
    elif (action == "reply" and case.reporter_wants_updates and case.reporter_phone
          and current_app.config.get("SMS_GATEWAY_URL")):  # no gateway, no text messages
        page = _url(f"/c/{case.tracking_code}")
        with force_locale(_language(None)):
            text = _("[Dispatch] Your report “%(title)s” has a reply: %(url)s",
                     title=title[:20], url=page)
        _add(case, event, Channel.SMS, "resident", text, page, phone=case.reporter_phone)
    elif action == "give_feedback" and case.feedback_satisfied is False:
        for user in _studio_desk(case):
            _tell(case, event, user.id, ("not_satisfied", {"title": title}), desk_url)
    elif action == "escalate":
        for user in _studio_desk(case, leads_only=True) or _studio_desk(case):
            _tell(case, event, user.id, ("overdue", {"title": title})
                  if event.actor_role == "system" else
                  ("escalated", {"name": event.actor_name, "title": title}), desk_url)


def plan_digests(day: str) -> int:
    """The morning digest for each coordinator and captain: what is open, what is late.
    Keyed by day and person, so a second run the same day adds nothing."""
    added = 0
    now = utcnow()
    staff = db.session.scalars(select(User).where(User.active.is_(True), User.role.in_(
        (Role.COORDINATOR, Role.CAPTAIN))))
    for user in list(staff):
        if user.role == Role.CAPTAIN:
            team_id = db.session.scalar(select(Team.id).where(Team.captain_id == user.id))
            scope = Case.assigned_team_id == team_id if team_id else None
        else:
            scope = Case.studio_id == user.studio_id if user.studio_id else None
        if scope is None:
            continue
        open_cases = list(db.session.scalars(select(Case).where(
            scope, Case.status.in_(OPEN_STATUSES))))
        if not open_cases:
            continue
        late = sum(1 for case in open_cases if case.due_at and case.due_at < now)
        key = f"digest:{day}:u{user.id}"
        if db.session.scalar(select(Notification.id).where(Notification.key == key)):
            continue
        params = {"open": len(open_cases), "late": late}
        with force_locale(_language(user)):
            text = render_message("digest", params)
        url = _url("/desk/cases" if user.role == Role.COORDINATOR else "/v/team")
        db.session.add(Notification(key=key, case_id=None, channel=Channel.INBOX, text=text,
                                    url=url, user_id=user.id, message_code="digest",
                                    message_params=params))
        added += 1
    return added


def tell_user(case: Case, event: CaseEvent, user_id: int, message: Message) -> None:
    """A message for one person about an event the rules above do not cover."""
    _tell(case, event, user_id, message, _url("/v/"))



def retry(row: Notification) -> None:
    """A coordinator's "try again" on a failed delivery: a fresh set of attempts."""
    db.session.execute(update(Notification).where(Notification.id == row.id,
                                                  Notification.sent_at.is_(None))
                       .values(failed_at=None, attempts=0))


def failed(limit: int = 100) -> list[Notification]:
    """Deliveries that gave up, newest first: the desk may try them again."""
    return list(db.session.scalars(select(Notification).where(
        Notification.failed_at.is_not(None), Notification.sent_at.is_(None))
        .order_by(Notification.id.desc()).limit(limit)))


def waiting(limit: int = 100) -> list[Notification]:
    """Deliveries not yet sent and not given up, newest first."""
    return list(db.session.scalars(select(Notification).where(
        Notification.failed_at.is_(None), Notification.sent_at.is_(None))
        .order_by(Notification.id.desc()).limit(limit)))
