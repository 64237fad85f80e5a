"""Bulk receive and bulk assign from the desk's case list: what was posted, and one case's
step with the reason it did or did not go through.

Each case goes through ``commands.run`` exactly as its own page would post it: its own
permission check, its own version check (the version the list showed), its own conditional
UPDATE and ledger line. The caller commits after each case that went through and rolls back
after each that did not (one transaction per case, see ``views/desk/bulk.py``), so a case
that conflicts undoes nothing of the others and notifications leave after each commit, as
for a single step. Nothing here commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Action, Case, CaseEvent, CaseStatus
from dispatch.services.cases import commands
from dispatch.services.errors import (
    Conflict,
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotPermitted,
)
from dispatch.services.permissions import Actor
from dispatch.services.responders.suggest import parse_assignee

MAX_BATCH = 100  # cases in one bulk step: a page of the list is 50
BULK_ACTIONS = (Action.RECEIVE, Action.ASSIGN)
MAX_ID = 2**31 - 1
_TOKEN = re.compile(r"([0-9]{1,10})(?::([0-9]{1,10}))?")
_DIGITS = re.compile(r"[0-9]{1,10}")
_SHOWN = re.compile(r"[\x00-\x1f\x7f]")


class BatchTooLarge(InvalidInput):
    def __init__(self, count: int) -> None:
        super().__init__("cases", _("%(n)d cases were selected; at most %(max)d can be "
                                    "changed at once.", n=count, max=MAX_BATCH))


@dataclass(frozen=True)
class Selected:
    """One ticked case: its id, and the version the list showed (None: not sent)."""

    case_id: int
    version: int | None


@dataclass
class Selection:
    cases: list[Selected] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # what was posted, made printable


def _printable(raw: str) -> str:
    text = _SHOWN.sub("", raw)
    return text[:20] + "…" if len(text) > 20 else text


def parse_selection(values: Iterable[str]) -> Selection:
    """The posted ``case`` values, each ``"<id>:<version>"`` (or a bare id): duplicates
    dropped, anything that is not a row id kept aside to be named in the summary."""
    selection, seen = Selection(), set()
    for raw in values:
        match = _TOKEN.fullmatch(raw.strip()) if isinstance(raw, str) else None
        case_id = int(match.group(1)) if match else 0
        version = int(match.group(2)) if match and match.group(2) else None
        if not match or not 1 <= case_id <= MAX_ID or (version or 0) > MAX_ID:
            selection.unreadable.append(_printable(str(raw)))
            continue
        if case_id not in seen:
            seen.add(case_id)
            selection.cases.append(Selected(case_id, version))
    count = len(selection.cases) + len(selection.unreadable)
    if count > MAX_BATCH:
        raise BatchTooLarge(count)
    if not count:
        raise InvalidInput("cases", _("No case was selected: tick the cases first."))
    return selection


def check_assignee(key: str) -> str:
    """The assignee a bulk assignment names, refused before any case is touched."""
    kind, _sep, raw_id = (key or "").partition(":")
    known = kind in ("team", "user") and _DIGITS.fullmatch(raw_id) is not None \
        and 1 <= int(raw_id) <= MAX_ID  # 10^300 or a NUL never reaches the database
    team, volunteer = parse_assignee(key) if known else (None, None)
    if team is None and volunteer is None:
        raise InvalidInput("assignee", _("Choose a team or a volunteer that exists."))
    if team is not None and not team.active:
        raise InvalidInput("assignee", _("This team is not active."))
    return key


@dataclass(frozen=True)
class Result:
    case_id: int
    tracking_code: str | None
    title: str
    done: bool
    reason: str  # why it did not go through, in the reader's language ("" when done)


def _last_step(case_id: int, action: str) -> CaseEvent | None:
    return db.session.scalar(select(CaseEvent).where(
        CaseEvent.case_id == case_id, CaseEvent.action == action)
        .order_by(CaseEvent.seq.desc()).limit(1))


def _why(case: Case, action: str, error: DomainError) -> str:
    """The reason in words: who got there first, or what state the case is in."""
    db.session.refresh(case)
    if action == Action.RECEIVE and case.status != CaseStatus.REGISTERED:
        event = _last_step(case.id, Action.RECEIVE)
        if event is not None:
            return _("Already received by %(name)s.", name=event.actor_name or _("someone"))
    if action == Action.ASSIGN and case.assignee_name and case.status == CaseStatus.HANDLING:
        return _("Already assigned to %(name)s.", name=case.assignee_name)
    if isinstance(error, Conflict):
        return _("Changed by someone else since the list was shown (now “%(status)s”); "
                 "open it and look again.", status=case.status.label)
    if isinstance(error, IllegalTransition):
        return (_("Not in a state to be received (it is “%(status)s”).",
                  status=case.status.label) if action == Action.RECEIVE else
                _("Not in a state to be assigned (it is “%(status)s”): receive it first.",
                  status=case.status.label) if case.status == CaseStatus.REGISTERED else
                _("Not in a state to be assigned (it is “%(status)s”).",
                  status=case.status.label))
    if isinstance(error, NotPermitted):
        return _("Your role does not allow this action on this case.")
    return error.message()


def step_one(action: str, selected: Selected, actor: Actor, *, assignee: str = "",
             note: str = "") -> Result:
    """Carry out ``action`` on one case, as its own page would. Flushes on success; after a
    refusal the caller must roll back (the failed step may have flushed nothing or a part)."""
    case = db.session.get(Case, selected.case_id)
    if case is None:
        return Result(selected.case_id, None, "", False,
                      _("No case has the number %(id)d.", id=selected.case_id))
    fields = {"version": selected.version, "note": note, "assignee": assignee}
    try:
        commands.run(action, case, actor, fields)
    except DomainError as error:
        reason = _why(case, action, error)
        return Result(case.id, case.tracking_code, case.title, False, reason)
    return Result(case.id, case.tracking_code, case.title, True, "")
