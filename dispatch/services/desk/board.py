"""The dispatch board's data: its list, its cases as GeoJSON, and the small layers around them.

Plain functions over the database; the view turns them into a page, the map builder in
``maps.py`` into Folium layers. The list and the GeoJSON read the same ``CaseFilter`` so the
map and the list always show the same cases. The GeoJSON selects only the columns a marker
and its popup need, never whole rows, so that tens of thousands of cases serialize quickly;
its text is raw (JSON escapes what JSON needs; the browser puts it into text nodes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from json.encoder import encode_basestring

from sqlalchemy import Numeric, Select, String, case, cast, exists, func, select, type_coerce
from sqlalchemy.orm import selectinload

from dispatch.extensions import db
from dispatch.geo.coords import TileCRS, to_display
from dispatch.models import (
    OPEN_STATUSES,
    Case,
    Category,
    Region,
    ServicePoint,
    Studio,
    Team,
    User,
    VolunteerProfile,
    utcnow,
)
from dispatch.services.cases.queries import CaseFilter, conditions, overdue_clause

HEAT_DAYS = 90
HEAT_DECIMALS = 3  # about 100 m: one heat point per block, however many cases
VOLUNTEER_LIMIT = 500  # on-duty volunteers drawn on the map at most
FALLBACK_CENTRE = (27.8655, 112.9468)  # where the seed studios are, when there is nothing


def board_query(case_filter: CaseFilter) -> Select[tuple[Case]]:
    """The board's list: overdue first, then the oldest waiting."""
    overdue_first = case((overdue_clause(), 0), else_=1)
    return (select(Case).where(*conditions(case_filter))
            .options(selectinload(Case.category), selectinload(Case.assigned_team),
                     selectinload(Case.assigned_volunteer))  # the assignee beside each
            .order_by(overdue_first, Case.created_at.asc(), Case.id.asc()))


def cases_geojson(case_filter: CaseFilter, crs: TileCRS,
                  category_labels: dict[int, str]) -> str:
    """The filtered cases as the text of a GeoJSON FeatureCollection in the tiles' datum.

    Each feature carries the id, title, status, kind, category id and overdue flag; the
    category labels travel once, as a foreign member of the collection. The text is written
    feature by feature (the title through the JSON encoder) instead of building a dict per
    case: at 50,000 cases that is a third of the time and spares the garbage collector."""
    now = utcnow()
    columns = select(
        Case.id, Case.title, type_coerce(Case.status, String), type_coerce(Case.kind, String),
        Case.category_id, Case.latitude, Case.longitude,
        case((Case.due_at < now, 1), else_=0),
    ).where(*conditions(case_filter)).order_by(Case.id)
    convert = crs != TileCRS.WGS84
    text = encode_basestring  # a JSON string literal; the C encoder
    features = []
    rows = db.session.connection().execute(columns).fetchall()  # Core rows: no ORM work
    for case_id, title, status, kind, category_id, lat, lon, overdue in rows:
        if convert:
            lat, lon = to_display(lat, lon, crs)
        features.append(
            f'{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{lon:.6f},'
            f'{lat:.6f}]}},"properties":{{"id":{case_id:d},"title":{text(title)},'
            f'"status":"{status}","kind":"{kind}","category":{category_id:d},'  # CHECKed values
            f'"overdue":{"true" if overdue else "false"}}}}}')
    labels = json.dumps({str(key): label for key, label in category_labels.items()},
                        ensure_ascii=False)
    return ('{"type":"FeatureCollection","categories":' + labels + ',"features":['
            + ",".join(features) + "]}")


def heat_points(case_filter: CaseFilter, crs: TileCRS, *, days: int = HEAT_DAYS,
                now: datetime | None = None) -> list[list[float]]:
    """Cases registered in the last ``days`` days, open or closed, counted per ~100 m cell:
    ``[latitude, longitude, count]`` each. Status, overdue and text filters do not apply."""
    since = (now or utcnow()) - timedelta(days=days)
    where = replace(case_filter, status=None, overdue_only=False, text="", open_only=False)
    lat = func.round(cast(Case.latitude, Numeric(10, 6)), HEAT_DECIMALS)
    lon = func.round(cast(Case.longitude, Numeric(10, 6)), HEAT_DECIMALS)
    rows = db.session.execute(
        select(lat, lon, func.count()).where(Case.created_at >= since, *conditions(where))
        .group_by(lat, lon))
    points = []
    for cell_lat, cell_lon, count in rows:
        shown = to_display(float(cell_lat), float(cell_lon), crs)
        points.append([round(shown[0], 5), round(shown[1], 5), int(count)])
    return points


@dataclass(frozen=True)
class TeamPin:
    name: str
    latitude: float
    longitude: float
    on_duty: bool  # any member on duty
    load: int  # open cases assigned to the team


@dataclass(frozen=True)
class VolunteerPin:
    name: str
    team: str | None
    latitude: float
    longitude: float


def team_pins() -> list[TeamPin]:
    on_duty = exists().where(VolunteerProfile.team_id == Team.id,
                             VolunteerProfile.on_duty.is_(True))
    load = (select(func.count()).where(Case.assigned_team_id == Team.id,
                                       Case.status.in_(OPEN_STATUSES))
            .correlate(Team).scalar_subquery())
    rows = db.session.execute(select(Team, on_duty, load).where(Team.active)
                              .order_by(Team.code))
    return [TeamPin(team.name, team.latitude, team.longitude, bool(duty), int(count or 0))
            for team, duty, count in rows]


def volunteer_pins(limit: int = VOLUNTEER_LIMIT) -> tuple[list[VolunteerPin], int]:
    """On-duty volunteers who share a location (at most ``limit``), and how many there are."""
    where = (VolunteerProfile.on_duty.is_(True), VolunteerProfile.latitude.is_not(None),
             VolunteerProfile.longitude.is_not(None), User.active.is_(True))
    total = db.session.scalar(select(func.count()).select_from(VolunteerProfile)
                              .join(User, User.id == VolunteerProfile.user_id).where(*where))
    rows = db.session.execute(
        select(User.display_name, Team, VolunteerProfile.latitude, VolunteerProfile.longitude)
        .join(User, User.id == VolunteerProfile.user_id)
        .outerjoin(Team, Team.id == VolunteerProfile.team_id)
        .where(*where).order_by(User.id).limit(limit))
    pins = [VolunteerPin(name, team.name if team else None, lat, lon)
            for name, team, lat, lon in rows]
    return pins, int(total or 0)


def service_points() -> list[ServicePoint]:
    return list(db.session.scalars(select(ServicePoint).where(ServicePoint.active)
                                   .order_by(ServicePoint.kind, ServicePoint.code)))


def centre(case_filter: CaseFilter) -> tuple[float, float]:
    """Where the board opens: the chosen studio, else the chosen region, else the first
    studio."""
    place: Studio | Region | None = None
    if case_filter.studio_id is not None:
        place = db.session.get(Studio, case_filter.studio_id)
    if place is None and case_filter.region_id is not None:
        place = db.session.get(Region, case_filter.region_id)
    if place is None:
        place = db.session.scalar(select(Studio).order_by(Studio.id).limit(1))
    return (place.latitude, place.longitude) if place else FALLBACK_CENTRE


@dataclass(frozen=True)
class Choices:
    categories: list[Category]
    regions: list[Region]
    studios: list[Studio]


def filter_choices() -> Choices:
    return Choices(
        categories=list(db.session.scalars(select(Category).where(Category.active)
                                           .order_by(Category.id))),
        regions=list(db.session.scalars(select(Region).order_by(Region.code))),
        studios=list(db.session.scalars(select(Studio).order_by(Studio.code))))


def category_labels(categories: list[Category]) -> dict[int, str]:
    labels = {category.id: f"{category.icon} {category.name}".strip()
              for category in categories}
    # Inactive categories still label their old cases.
    for category in db.session.scalars(select(Category).where(Category.active.is_(False))):
        labels[category.id] = f"{category.icon} {category.name}".strip()
    return labels
