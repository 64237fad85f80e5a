"""Reading cases: the coordinator's filtered list and a volunteer's own work."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import ColumnElement, Select, case, func, or_, select

from dispatch.extensions import db
from dispatch.geo import spatial
from dispatch.models import (
    OPEN_STATUSES,
    Case,
    CaseKind,
    CaseStatus,
    IntakeChannel,
    Studio,
    User,
    utcnow,
)
from dispatch.models.people import FIELD_ROLES
from dispatch.models.spatial_index import CASE_POINTS
from dispatch.services.permissions import claimable_clause


@dataclass(frozen=True)
class CaseFilter:
    """What the desk asks for; ``None`` or empty means "any". ``open_only`` keeps the
    cases still waiting for someone (the dispatch board shows nothing else)."""

    status: CaseStatus | None = None
    kind: CaseKind | None = None
    overdue_only: bool = False
    text: str = ""
    category_id: int | None = None
    region_id: int | None = None
    studio_id: int | None = None
    open_only: bool = False
    channel: IntakeChannel | None = None


def overdue_clause() -> ColumnElement[bool]:
    return (Case.status.in_(OPEN_STATUSES)) & (Case.due_at < utcnow())


def conditions(case_filter: CaseFilter) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a filter, for any select over ``Case`` (rows or columns)."""
    clauses: list[ColumnElement[bool]] = []
    if case_filter.status:
        clauses.append(Case.status == case_filter.status)
    if case_filter.open_only:
        clauses.append(Case.status.in_(OPEN_STATUSES))
    if case_filter.kind:
        clauses.append(Case.kind == case_filter.kind)
    if case_filter.category_id is not None:
        clauses.append(Case.category_id == case_filter.category_id)
    if case_filter.studio_id is not None:
        clauses.append(Case.studio_id == case_filter.studio_id)
    if case_filter.region_id is not None:
        clauses.append(Case.studio_id.in_(
            select(Studio.id).where(Studio.region_id == case_filter.region_id)))
    if case_filter.overdue_only:
        clauses.append(overdue_clause())
    if case_filter.channel is not None:
        clauses.append(Case.channel == case_filter.channel)
    if case_filter.text:
        like = f"%{case_filter.text}%"
        clauses.append(or_(Case.title.ilike(like), Case.address.ilike(like),
                           Case.tracking_code == case_filter.text.upper()))
    return clauses


def filtered(case_filter: CaseFilter) -> Select[tuple[Case]]:
    """Overdue first, then the newest: the desk's list of every case."""
    overdue_first = case((overdue_clause(), 0), else_=1)
    return (select(Case).where(*conditions(case_filter))
            .order_by(overdue_first, Case.created_at.desc()))


def count_by_status() -> dict[CaseStatus, int]:
    rows = db.session.execute(select(Case.status, func.count()).group_by(Case.status))
    counts = {status: 0 for status in CaseStatus}
    counts.update({CaseStatus(status): n for status, n in rows})
    return counts


def work_of(user: User) -> list[Case]:
    """Open assignments held by this volunteer or their team, due soonest first."""
    if user.role not in FIELD_ROLES:
        return []
    held = [Case.assigned_volunteer_id == user.id]
    if user.team_id is not None:
        held.append(Case.assigned_team_id == user.team_id)
    query = (select(Case).where(Case.status == CaseStatus.HANDLING, or_(*held))
             .order_by(Case.due_at.asc().nulls_last()))
    return list(db.session.scalars(query))


def claimable_near(latitude: float, longitude: float, limit: int = 20,
                   radius_km: float | None = None) -> list[tuple[Case, float]]:
    """Open micro-wishes and published tasks within ``radius_km`` (``NEARBY_KM``), nearest
    first, from the spatial index (the volunteer's "near me")."""
    radius = current_app.config["NEARBY_KM"] if radius_km is None else radius_km
    query = select(Case.id).where(Case.status == CaseStatus.RECEIVED, claimable_clause())
    hits = spatial.nearest(db.session, CASE_POINTS, query, latitude, longitude, limit=limit,
                           within_m=radius * 1000)
    if not hits:
        return []
    cases = {c.id: c for c in db.session.scalars(select(Case).where(
        Case.id.in_([h.id for h in hits])))}
    return [(cases[h.id], h.distance_m) for h in hits]


def case_by_tracking_code(code: str) -> Case | None:
    """The case a resident's tracking code names (typed by hand: spaces and case ignored)."""
    code = code.strip().upper()
    if not code:
        return None
    return db.session.scalar(select(Case).where(Case.tracking_code == code))
