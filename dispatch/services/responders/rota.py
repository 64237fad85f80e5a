"""The duty rota (轮值): who receives new cases at which studio on which weekday.

Weekdays and "today" are those of the display time zone (Asia/Shanghai by default): a shift
on Monday starts at 00:00 Monday local time, which is Sunday 16:00 UTC. Any desk user may
edit any studio's rota, as coordinators cover for each other; the unique constraint on
(studio, weekday, person) decides duplicates. Functions flush; the caller commits, and
rolls back after an ``InvalidInput`` raised by a failed flush.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, delete, or_, select
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.models import Role, Studio, Team, User, VolunteerProfile
from dispatch.models.desk import DutyShift
from dispatch.services.clock import local
from dispatch.services.errors import InvalidInput

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday"))
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def week_of(studio: Studio) -> dict[int, list[DutyShift]]:
    """Monday (0) to Sunday (6), each day's shifts by starting time."""
    grid: dict[int, list[DutyShift]] = {day: [] for day in range(7)}
    shifts = db.session.scalars(select(DutyShift).where(DutyShift.studio_id == studio.id)
                                .join(DutyShift.user)
                                .order_by(DutyShift.starts, User.display_name))
    for shift in shifts:
        grid[shift.weekday].append(shift)
    return grid


def on_duty_today(studio: Studio, now: datetime) -> list[DutyShift]:
    """Today's shifts at the studio (active people only), by starting time."""
    return list(db.session.scalars(
        select(DutyShift).join(DutyShift.user)
        .where(DutyShift.studio_id == studio.id, DutyShift.weekday == local(now).weekday(),
               User.active.is_(True))
        .order_by(DutyShift.starts, User.display_name)))


def on_duty_user_ids(studio: Studio, now: datetime) -> set[int]:
    """Who is on the studio's rota today: the board shows them its new cases first."""
    return set(db.session.scalars(
        select(User.id).where(User.id.in_(on_rota_today(studio.id, now)),
                              User.active.is_(True))))


def on_rota_today(studio_id: int, now: datetime) -> Select[tuple[int]]:
    """The ids of the people on the studio's rota on ``now``'s local weekday, as a subquery
    for a query of users (who also checks that they are active)."""
    return select(DutyShift.user_id).where(DutyShift.studio_id == studio_id,
                                           DutyShift.weekday == local(now).weekday())


@dataclass(frozen=True)
class StudioDuty:
    studio: Studio
    hours: str | None  # today's opening hours; None: closed today
    shifts: list[DutyShift]


def duty_board(now: datetime) -> list[StudioDuty]:
    """Every studio with today's hours and who is on duty, for the public page."""
    today = local(now)
    rows = [StudioDuty(studio, studio.hours_on(today), on_duty_today(studio, now))
            for studio in db.session.scalars(select(Studio).where(Studio.active)
                                             .order_by(Studio.code))]
    return sorted(rows, key=lambda row: (row.hours is None and not row.shifts))


def candidates(studio: Studio) -> list[User]:
    """Who may be put on this studio's rota: its desk users, administrators, and the
    captains and representatives of the teams attached to it."""
    team_ids = select(Team.id).where(Team.studio_id == studio.id).scalar_subquery()
    captain_ids = select(Team.captain_id).where(Team.studio_id == studio.id,
                                                Team.captain_id.is_not(None))
    query = (select(User).outerjoin(VolunteerProfile)
             .where(User.active.is_(True), or_(
                 User.role == Role.ADMIN,
                 (User.role == Role.COORDINATOR) & (User.studio_id == studio.id),
                 User.id.in_(captain_ids),
                 VolunteerProfile.team_id.in_(team_ids)))
             .order_by(User.display_name))
    order = (Role.COORDINATOR, Role.CAPTAIN, Role.VOLUNTEER, Role.ADMIN)
    return sorted(db.session.scalars(query), key=lambda user: order.index(Role(user.role)))


def _time(value: str, field: str) -> str:
    value = (value or "").strip()
    if not TIME_PATTERN.match(value):
        raise InvalidInput(field, _("Enter a time as HH:MM, for example 08:30."))
    return value


def add_shift(studio: Studio, user: User, weekday: int, starts: str, ends: str) -> DutyShift:
    """Put ``user`` on the rota; refused when they already have a shift that day."""
    if not 0 <= weekday <= 6:
        raise InvalidInput("weekday", _("Choose a day of the week."))
    starts, ends = _time(starts, "starts"), _time(ends, "ends")
    if starts >= ends:
        raise InvalidInput("ends", _("The shift must end after it starts."))
    if user.id not in {person.id for person in candidates(studio)}:
        raise InvalidInput("user", _("This person cannot be on this studio's rota."))
    name = user.display_name  # read now: after a failed flush nothing may be loaded
    shift = DutyShift(studio_id=studio.id, user_id=user.id, weekday=weekday, starts=starts,
                      ends=ends)
    db.session.add(shift)
    try:
        db.session.flush()
    except IntegrityError as error:
        # No SAVEPOINT (see services/reports.py): the caller rolls the request back.
        raise InvalidInput("user", _(
            "%(name)s is already on the rota on %(day)s at this studio. Remove that shift "
            "first to change its hours.", name=name,
            day=WEEKDAYS[weekday])) from error
    return shift


def remove_shift(studio: Studio, shift_id: int) -> bool:
    """Take a shift off the rota; False when it was already gone."""
    result = db.session.execute(delete(DutyShift).where(
        DutyShift.id == shift_id, DutyShift.studio_id == studio.id)
        .execution_options(synchronize_session=False))
    return bool(result.rowcount)
