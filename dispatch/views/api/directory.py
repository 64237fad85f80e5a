"""/api/v1 lists beside the cases: teams, service points, and open claims (the desk sees
every claim, a captain or volunteer their own)."""

from __future__ import annotations

from spectree import Response as Responses
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import OPEN_STATUSES, Case, ServicePoint, Team
from dispatch.models.people import DESK_ROLES
from dispatch.views.api import present
from dispatch.views.api.schemas import ClaimList, ErrorBody, ServicePointList, TeamList
from dispatch.views.api.spec import spec
from dispatch.views.api.v1 import bp, caller

# Every operation may refuse: a control character anywhere (400), no or a bad token (401),
# a role that may not (403).
DENIED = {"HTTP_400": ErrorBody, "HTTP_401": ErrorBody, "HTTP_403": ErrorBody}


@bp.get("/teams")
@spec.validate(resp=Responses(HTTP_200=TeamList, **DENIED), tags=["directory"])
def teams() -> TeamList:
    """Volunteer teams, active ones first."""
    rows = db.session.scalars(select(Team).order_by(Team.active.desc(), Team.id))
    return TeamList.model_validate([present.team(team) for team in rows])


@bp.get("/service-points")
@spec.validate(resp=Responses(HTTP_200=ServicePointList, **DENIED), tags=["directory"])
def service_points() -> ServicePointList:
    """Active service points: rest stations, studios, canteens, charging piles …"""
    rows = db.session.scalars(select(ServicePoint).where(ServicePoint.active)
                              .order_by(ServicePoint.id))
    return ServicePointList.model_validate([present.service_point(p) for p in rows])


@bp.get("/claims")
@spec.validate(resp=Responses(HTTP_200=ClaimList, **DENIED), tags=["claims"])
def claims() -> ClaimList:
    """Open claims (认领), the soonest to run out first. Claim or release one with the
    case's ``claim`` and ``release`` actions."""
    user = caller()
    statement = select(Case).where(Case.claimed_at.is_not(None),
                                   Case.status.in_(OPEN_STATUSES))
    if user.role not in DESK_ROLES:
        statement = statement.where(Case.assigned_volunteer_id == user.id)
    rows = db.session.scalars(statement.order_by(Case.claim_expires_at.asc().nulls_last(),
                                                 Case.id))
    return ClaimList.model_validate([{
        "case_id": case.id, "tracking_code": case.tracking_code, "title": case.title,
        "holder": case.assignee_name or "", "claimed_at": case.claimed_at,
        "expires_at": case.claim_expires_at, "extended": case.claim_extended}
        for case in rows])
