"""A person who leaves: the account is deactivated (it can no longer sign in, its sessions
end, its history stays), and the open work in their hands goes back to their team, each
case with its own ledger line through the usual steps:

* work assigned to them alone, not yet done, is reassigned to their team;
* without a team, a claim they held is released back to the open list;
* work their captain shared out to them goes back to the team's inbox;
* a team they captained is left without a captain (not with a captain who cannot sign
  in), for the desk to choose the next one on the team's settings page.

Work they already finished waits for its check as before. The change is in the audit log.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update

from dispatch.extensions import db
from dispatch.models import Case, CaseStatus, Team, User, utcnow
from dispatch.models.vocabulary import UNFINISHED_WORK, AssignmentStatus
from dispatch.services import audit
from dispatch.services.cases import commands
from dispatch.services.cases.ledger import amend
from dispatch.services.errors import InvalidInput
from dispatch.services.permissions import Actor
from dispatch.services.responders import accounts, roles


def deactivate(user: User, by: User) -> list[int]:
    """Deactivate ``user`` and hand their open work back; returns the cases moved."""
    if user.id == by.id:
        raise InvalidInput("user", _("You cannot deactivate your own account."))
    if not user.active:
        return []
    # Serialised on the studio's row: two deactivations at once cannot both pass.
    roles.ensure_studio_keeps_a_coordinator(user, field="user")
    roles.ensure_an_admin_remains(user, field="user")
    actor = Actor.of(by)
    note = _("%(name)s left: the work goes back to the team.", name=user.display_name)
    moved: list[int] = []
    team_id = user.team_id
    held = db.session.scalars(select(Case).where(
        Case.status == CaseStatus.HANDLING, Case.assigned_volunteer_id == user.id,
        Case.assignment_status.in_(UNFINISHED_WORK)).order_by(Case.id))
    for case in list(held):
        if team_id is not None:
            commands.run("reassign", case, actor, {"assignee": f"team:{team_id}",
                                                   "note": note})
        elif case.assignment_status in (AssignmentStatus.ACCEPTED, AssignmentStatus.ON_SITE):
            commands.run("release", case, actor, {"note": note})
        else:
            continue  # assigned, not accepted, no team: the desk reassigns it by hand
        moved.append(case.id)
    shared = db.session.scalars(select(Case).where(
        Case.status == CaseStatus.HANDLING, Case.handled_by_id == user.id,
        Case.assignment_status.in_(UNFINISHED_WORK)).order_by(Case.id))
    for case in list(shared):
        amend(case, actor, "return_to_team", {"handled_by_id": None}, note=note)
        moved.append(case.id)
    captained = list(db.session.scalars(update(Team).where(Team.captain_id == user.id)
                                        .values(captain_id=None).returning(Team.id)
                                        .execution_options(synchronize_session=False)))
    for team in captained:
        audit.record(by, "team.captain_left", f"team:{team}", before={"captain_id": user.id},
                     after={"captain_id": None})
    accounts.deactivate(user)
    user.deactivated_at = utcnow()
    user.version = (user.version or 1) + 1  # a settings form shown before is stale now
    audit.record(by, "user.deactivate", f"user:{user.id}", before={"active": True},
                 after={"active": False, "work_returned": moved})
    db.session.flush()
    return moved
