"""Who may do what to which case, in one place: the actor, the role and assignment checks,
the extra conditions some steps have, and the list of steps a person may take now.

The lifecycle service calls ``ensure_allowed`` before every change; the case pages show
exactly ``allowed_actions``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, or_, select

from dispatch.extensions import db
from dispatch.models import (
    AssignmentStatus,
    Case,
    CaseKind,
    CaseStatus,
    Category,
    Role,
    Team,
    User,
    VolunteerProfile,
    utcnow,
)
from dispatch.models.people import DESK_ROLES, FIELD_ROLES
from dispatch.models.vocabulary import (
    ASSIGNEE,
    CREW,
    DESK,
    RESIDENT,
    REVIEWER,
    SYSTEM,
    TRANSITIONS,
    VOLUNTEER,
    Transition,
)
from dispatch.services.errors import IllegalTransition, NotPermitted

RESIDENT_ROLE, SYSTEM_ROLE = "resident", "system"
CLAIMABLE_KINDS = (CaseKind.WISH, CaseKind.INSPECTION)


def open_to_claim(case: Case) -> bool:
    """Volunteers may claim micro-wishes and published tasks, where the category allows it
    (the category's settings: ``Category.claimable``)."""
    return case.kind in CLAIMABLE_KINDS and case.category.claimable


def claimable_clause() -> ColumnElement[bool]:
    """``open_to_claim`` as SQL, for the phone's lists."""
    return and_(Case.kind.in_(CLAIMABLE_KINDS),
                Case.category_id.in_(select(Category.id).where(Category.claimable.is_(True))))


def _claim_refusal(case: Case) -> str:
    if case.kind not in CLAIMABLE_KINDS:
        return _("Only micro-wishes and published tasks can be claimed; hazards are "
                 "dispatched by the studio.")
    return _("Volunteers do not claim cases of “%(category)s”: the studio assigns them.",
             category=case.category.name)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff user, a resident holding a tracking code, or the system."""

    role: str
    user: User | None = field(default=None, compare=False)

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(role=Role(user.role).value, user=user)

    @classmethod
    def resident(cls) -> Actor:
        return cls(role=RESIDENT_ROLE)

    @classmethod
    def system(cls) -> Actor:
        return cls(role=SYSTEM_ROLE)

    @property
    def at_desk(self) -> bool:
        return self.user is not None and self.user.role in DESK_ROLES


def _is_assignee(case: Case, user: User) -> bool:
    if case.assigned_volunteer_id is not None:
        return case.assigned_volunteer_id == user.id
    team = case.assigned_team
    return team is not None and team.captain_id == user.id


def _shared_out_to(case: Case, user: User) -> bool:
    return case.assigned_team_id is not None and case.handled_by_id == user.id \
        and user.team_id == case.assigned_team_id


def _is_crew(case: Case, user: User) -> bool:
    if _is_assignee(case, user):
        return True
    return case.assigned_team_id is not None and user.team_id == case.assigned_team_id


def _is_reviewer(case: Case, user: User) -> bool:
    """The captain of the team doing the work: of the assigned team, or of the assigned
    volunteer's own team."""
    team = case.assigned_team
    if team is None and case.assigned_volunteer is not None:
        team = case.assigned_volunteer.profile.team if case.assigned_volunteer.profile else None
    return team is not None and team.captain_id == user.id


# Work someone has taken on: from then on, the one holding it may call the resident.
TAKEN_ON = frozenset({AssignmentStatus.ACCEPTED, AssignmentStatus.ON_SITE,
                      AssignmentStatus.DONE})


def holder_id(case: Case) -> int | None:
    """The one person holding the work: the assigned volunteer; for team work the member
    the captain shared it out to, else the captain who accepts for the team."""
    if case.assigned_volunteer_id is not None:
        return case.assigned_volunteer_id
    if case.assigned_team_id is None:
        return None
    if case.handled_by_id is not None:
        return case.handled_by_id
    team = case.assigned_team
    return team.captain_id if team is not None else None


def may_see_reporter_phone(case: Case, user: User | None) -> bool:
    """The resident's full number: the studio's desk, and the one person holding the work
    once it is accepted. Everyone else (the rest of the team too) sees it masked."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.role in DESK_ROLES:
        return True
    return case.assignment_status in TAKEN_ON and holder_id(case) == user.id


def work_to_check_by(user: User) -> list[Case]:
    """Finished, unchecked work a captain may check (复核): their team's, and what their
    members hold in their own name (claimed wishes); never what they recorded as done."""
    if user.role != Role.CAPTAIN or not user.active:
        return []
    led = select(Team.id).where(Team.captain_id == user.id)
    members = select(VolunteerProfile.user_id).where(VolunteerProfile.team_id.in_(led))
    found = db.session.scalars(select(Case).where(
        Case.status == CaseStatus.HANDLING, Case.assignment_status == AssignmentStatus.DONE,
        Case.work_checked_at.is_(None),
        or_(Case.done_by_id.is_(None), Case.done_by_id != user.id),
        or_(Case.assigned_team_id.in_(led), Case.assigned_volunteer_id.in_(members)))
        .order_by(Case.done_at.asc().nulls_last(), Case.id))
    return [case for case in found if _is_reviewer(case, user)]


def next_step_by(case: Case, user: User) -> str:
    """Why this person has no step to take on a case they see: who has the next one."""
    holder = db.session.get(User, holder_id(case)) if holder_id(case) else None
    name = holder.display_name if holder else ""
    status = case.assignment_status
    if status == AssignmentStatus.ASSIGNED:
        return _("Waiting for %(name)s to accept it.", name=name) if name else \
            _("Waiting for the team to accept it.")
    if status in (AssignmentStatus.ACCEPTED, AssignmentStatus.ON_SITE) and name:
        return _("%(name)s is handling it; nothing for you to do.", name=name)
    if status == AssignmentStatus.DONE:
        if case.work_checked_at is None:
            return _("Done: waiting for the captain or the studio to check the work.")
        return _("Checked: the studio replies to the resident next.")
    return _("Nothing for you to do on it right now.")


def may_act(actor: Actor, transition: Transition, case: Case) -> bool:
    if actor.role == RESIDENT_ROLE:
        return RESIDENT in transition.actors
    if actor.role == SYSTEM_ROLE:
        return SYSTEM in transition.actors
    user = actor.user
    if user is None or not user.active:
        return False
    if DESK in transition.actors and user.role in DESK_ROLES:
        return True
    if user.role not in FIELD_ROLES:
        return False
    if VOLUNTEER in transition.actors:
        return True
    if ASSIGNEE in transition.actors and _is_assignee(case, user):
        return True
    if transition.action == "accept" and _shared_out_to(case, user):
        return True  # the captain shared it out before accepting: the member takes it on
    if REVIEWER in transition.actors and _is_reviewer(case, user):
        return True
    return CREW in transition.actors and _is_crew(case, user)


def _second_person(case: Case, actor: Actor) -> bool:
    """The check is worth something only if someone else did the work."""
    return case.work_checked_at is None and (
        actor.user is None or actor.user.id != case.done_by_id)


# Extra conditions beyond status, with the reason shown when they fail.
GUARDS: dict[str, tuple[Callable[[Case, Actor], bool], Callable[[Case], str]]] = {
    "reopen": (lambda case, actor: case.feedback_satisfied is False,
               lambda case: _("Only a case whose resident was not satisfied can be sent back.")),
    "claim": (lambda case, actor: open_to_claim(case), lambda case: _claim_refusal(case)),
    "release": (lambda case, actor: case.claimed_at is not None,
                lambda case: _("Only a claim can be released; decline or reassign other work.")),
    "expire_claim": (lambda case, actor: bool(case.claim_expires_at and
                                              case.claim_expires_at <= utcnow()),
                     lambda case: _("This claim has not run out yet.")),
    "check_work": (_second_person,
                   lambda case: _("The work must be checked by someone other than the person who "
                             "recorded it as done.")),
    "return_work": (lambda case, actor: case.work_checked_at is None,
                    lambda case: _("The work was already checked and passed.")),
    "reply": (lambda case, actor: case.work_checked_at is not None,
              lambda case: _("The finished work must be checked by the captain or a coordinator "
                        "before the reply goes out.")),
}


def allowed_actions(case: Case, actor: Actor) -> list[Transition]:
    """Exactly the next steps this actor may take now: what the case page offers."""
    return [
        t for t in TRANSITIONS.values()
        if t.applies_to(case.status, case.assignment_status)
        and may_act(actor, t, case)
        and (t.action not in GUARDS or GUARDS[t.action][0](case, actor))
    ]


def ensure_allowed(case: Case, actor: Actor, action: str) -> Transition:
    """Raise IllegalTransition (409) or NotPermitted (403) unless ``action`` may happen now."""
    transition = TRANSITIONS[action]
    if not transition.applies_to(case.status, case.assignment_status):
        raise IllegalTransition(action, case.status,
                                case.assignment_status and str(case.assignment_status))
    if not may_act(actor, transition, case):
        raise NotPermitted(action)
    if action in GUARDS and not GUARDS[action][0](case, actor):
        raise IllegalTransition(action, case.status, reason=GUARDS[action][1](case))
    return transition


def may_read_case(case: Case, user: User) -> bool:
    """A case in the JSON API: the desk reads every case; a captain or volunteer the work
    they or their team hold, and what is open to claim."""
    if not user.active:
        return False
    if user.role in DESK_ROLES:
        return True
    return _is_crew(case, user) or _is_reviewer(case, user) or holder_id(case) == user.id \
        or (case.status == CaseStatus.RECEIVED and open_to_claim(case))


def may_see_reporter(case: Case, user: User) -> bool:
    """The resident's name and the exact place: the desk, and whoever does the work."""
    return user.role in DESK_ROLES or _is_crew(case, user) or holder_id(case) == user.id
