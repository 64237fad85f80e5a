"""Work held by a team: the captain shares it out to one member (分派); the team stays the
assignee, the member becomes the one handling it."""

from __future__ import annotations

from flask_babel import gettext as _

from dispatch.models import AssignmentStatus, Case, CaseStatus, User
from dispatch.services.cases.ledger import amend
from dispatch.services.errors import IllegalTransition, InvalidInput, NotPermitted
from dispatch.services.permissions import Actor

SHAREABLE = (AssignmentStatus.ASSIGNED, AssignmentStatus.ACCEPTED)


def share_out(case: Case, actor: Actor, member: User) -> Case:
    """分派: the captain gives team work to one member; the team stays the assignee."""
    team = case.assigned_team
    if actor.user is None or team is None or team.captain_id != actor.user.id:
        raise NotPermitted("share_out")
    if case.status != CaseStatus.HANDLING or case.assignment_status not in SHAREABLE:
        raise IllegalTransition("share_out", case.status,
                                reason=_("Only work not yet started can be shared out."))
    if member.team_id != team.id or not member.active:
        raise InvalidInput("member", _("Choose a member of this team."))
    amend(case, actor, "share_out", {"handled_by_id": member.id},
          note_code="shared_out", note_params={"name": member.display_name})
    return case
