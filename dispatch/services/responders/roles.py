"""The rules that keep a studio and the service run: a studio keeps at least one active
coordinator, the service at least one active administrator.

Each rule spans rows (a count over other users), so a count alone would let two
concurrent demotions both see "one other is left" under PostgreSQL's READ COMMITTED.
The check therefore first locks one row every such change must lock too: the studio's
row for its coordinators, the active administrators' rows for the last administrator.
The second change waits, and its count (a new statement) sees what the first committed.
SQLite serialises writers, so the same rule holds there for another reason.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import Role, Studio, User
from dispatch.services.errors import InvalidInput


def _others(role: Role, excluding: int, studio_id: int | None = None) -> int:
    query = select(func.count()).select_from(User).where(
        User.role == role, User.active.is_(True), User.id != excluding)
    if studio_id is not None:
        query = query.where(User.studio_id == studio_id)
    return db.session.scalar(query) or 0


def ensure_studio_keeps_a_coordinator(user: User, field: str = "role") -> None:
    """Raise unless ``user`` (an active coordinator about to stop coordinating their
    studio: demoted, moved, deactivated) leaves another active coordinator behind."""
    if user.role != Role.COORDINATOR or not user.active or user.studio_id is None:
        return
    db.session.execute(select(Studio.id).where(Studio.id == user.studio_id).with_for_update())
    if not _others(Role.COORDINATOR, user.id, user.studio_id):
        raise InvalidInput(field, _("%(name)s is the last coordinator of the studio: add "
                                    "another one first.", name=user.display_name))


def ensure_an_admin_remains(user: User, field: str = "role") -> None:
    """Raise unless another active administrator remains when ``user`` stops being one."""
    if user.role != Role.ADMIN or not user.active:
        return
    db.session.execute(select(User.id).where(User.role == Role.ADMIN, User.active.is_(True))
                       .with_for_update())
    if not _others(Role.ADMIN, user.id):
        raise InvalidInput(field, _("%(name)s is the last administrator: make someone else "
                                    "an administrator first.", name=user.display_name))
