"""Claims (认领): a volunteer takes an open micro-wish or published task into their hands.

A claim is exclusive: one conditional UPDATE decides it (the case must still be open, and
the volunteer must hold fewer than MAX_OPEN_CLAIMS claims, counted inside the same UPDATE),
so two volunteers tapping at the same moment get one winner and one clear "taken by …".
The count spans rows, so the claim first locks the volunteer's own row: one volunteer's
claims queue behind each other and each counts what the previous one committed.
A claim lasts its category's ``claim_hours`` (the category's settings, where claiming can
also be switched off), can be extended once, and is released when it runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import aliased

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, CaseStatus, User, utcnow
from dispatch.services.cases import notifications
from dispatch.services.cases.ledger import amend, apply_transition
from dispatch.services.errors import (
    Conflict,
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotPermitted,
)
from dispatch.services.permissions import Actor, ensure_allowed


class AlreadyClaimed(IllegalTransition):
    """Someone else holds it, or it is no longer open: say who and since when.

    What the message needs is read when it is raised: the refusal page is rendered after
    the transaction is rolled back, when reading the case again would cost two queries."""

    def __init__(self, case: Case) -> None:
        super().__init__("claim", case.status)
        self.holder = case.assignee_name if case.status == CaseStatus.HANDLING else None
        self.since = case.claimed_at or case.updated_at

    def message(self) -> str:
        if self.holder:
            return _("Already taken: %(name)s has held it since %(since)s.",
                     name=self.holder, since=format_datetime(self.since, "yyyy-MM-dd HH:mm"))
        return _("This can no longer be claimed: it is “%(status)s”.",
                 status=CaseStatus(self.status).label)


class ClaimLimitReached(DomainError):
    http_status = 409

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit

    def message(self) -> str:
        return _("You already hold %(n)d open claims. Finish or release one first.",
                 n=self.limit)


def open_claims_of(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Case).where(
        Case.assigned_volunteer_id == user_id, Case.status == CaseStatus.HANDLING,
        Case.claimed_at.is_not(None))) or 0


# Built once: an alias of a table this wide costs milliseconds to make, on every claim.
_HELD = aliased(Case, name="held")


def refuse_if_taken(case: Case, actor: Actor) -> None:
    """Refuse a claim this request already sees it cannot win, naming who holds the case:
    without locking or writing, and before the claim's form is built. The winner is still
    decided by the conditional UPDATE in :func:`claim`, never by this read."""
    try:
        ensure_allowed(case, actor, "claim")
    except (Conflict, IllegalTransition) as taken:
        if isinstance(taken, IllegalTransition) and taken.reason:
            raise  # not claimable at all (a hazard, or a category the studio assigns)
        raise AlreadyClaimed(case) from taken


# Under READ COMMITTED a count does not see claims other transactions have not yet
# committed: a claim serialises this volunteer's claims on their row (SQLite serialises all
# writers anyway and ignores FOR UPDATE). The UPDATE then starts after the lock is granted,
# so its count sees every claim committed before it. Built once, as _HELD.
_LOCK_CLAIMANT = select(User.id).where(User.id == bindparam("user_id")).with_for_update()


def claim(case: Case, actor: Actor, at: datetime | None = None) -> Case:
    assert actor.user is not None
    at = at or utcnow()
    limit = current_app.config["MAX_OPEN_CLAIMS"]
    refuse_if_taken(case, actor)
    try:
        db.session.execute(_LOCK_CLAIMANT, {"user_id": actor.user.id})
        under_limit = select(func.count()).select_from(_HELD).where(and_(
            _HELD.assigned_volunteer_id == actor.user.id,
            _HELD.status == CaseStatus.HANDLING,
            _HELD.claimed_at.is_not(None))).scalar_subquery() < limit
        return apply_transition(case, actor, "claim", at=at, conditions=(under_limit,),
                                refused=ClaimLimitReached(limit), values={
                                    "assigned_volunteer_id": actor.user.id,
                                    "assigned_team_id": None, "claimed_at": at,
                                    "claim_expires_at": at + timedelta(
                                        hours=case.category.claim_hours),
                                    "claim_extended": False})
    except (Conflict, IllegalTransition) as lost:
        if isinstance(lost, IllegalTransition) and lost.reason:
            raise  # not claimable at all
        # A lost race has refreshed the case already: the winner is named.
        raise AlreadyClaimed(case) from lost


def _cleared() -> dict[str, object]:
    return {"assigned_volunteer_id": None, "assigned_team_id": None, "claimed_at": None,
            "claim_expires_at": None, "claim_extended": False, "checked_in_at": None,
            "checkin_distance_m": None}


def release(case: Case, actor: Actor, reason: str, at: datetime | None = None) -> Case:
    """放弃认领: back to the open list, with the reason in the ledger."""
    if not reason.strip():
        raise InvalidInput("note", _("Please say why you release it."))
    return apply_transition(case, actor, "release", note=reason, at=at, values=_cleared())


def extend(case: Case, actor: Actor, at: datetime | None = None) -> Case:
    """One extension per claim, decided by a conditional UPDATE on ``claim_extended``."""
    assert actor.user is not None
    if case.assigned_volunteer_id != actor.user.id or case.claimed_at is None:
        raise NotPermitted("extend_claim")
    hours = current_app.config["CLAIM_EXTENSION_HOURS"]
    seen = case.claim_expires_at
    assert seen is not None
    # Date arithmetic is not portable SQL: compute it here, and let the WHERE check that
    # neither the deadline nor the "extended" flag moved since it was read.
    amend(case, actor, "extend_claim",
          {"claim_extended": True, "claim_expires_at": seen + timedelta(hours=hours)},
          at=at, note_code="claim_extended", note_params={"hours": hours},
          conditions=(Case.claim_extended.is_(False), Case.claim_expires_at == seen,
                      Case.status == CaseStatus.HANDLING,
                      Case.assigned_volunteer_id == actor.user.id),
          refused=IllegalTransition("extend_claim", case.status,
                                    reason=_("A claim can be extended only once.")))
    return case


def release_expired(now: datetime | None = None) -> list[int]:
    """The periodic sweep: every claim past its time goes back to the open list, with a
    ledger line by the system. Safe to run twice and alongside volunteers' own steps."""
    now = now or utcnow()
    due = db.session.scalars(select(Case).where(
        Case.status == CaseStatus.HANDLING, Case.claim_expires_at <= now))
    released: list[int] = []
    for case in list(due):
        holder = case.assigned_volunteer_id
        try:
            apply_transition(case, Actor.system(), "expire_claim", at=now, values=_cleared(),
                             note_code="claim_ran_out", note_params={})
        except (Conflict, IllegalTransition):
            continue  # the holder finished or released it meanwhile
        released.append(case.id)
        if holder is not None:  # the holder is told (the case no longer names them)
            event = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                       .order_by(CaseEvent.seq.desc())).first()
            assert event is not None
            notifications.tell_user(case, event, holder,
                                    ("claim_ran_out", {"title": case.title[:40]}))
    return released


def remaining(case: Case, now: datetime | None = None) -> timedelta | None:
    if case.claim_expires_at is None:
        return None
    return max(case.claim_expires_at - (now or utcnow()), timedelta(0))
