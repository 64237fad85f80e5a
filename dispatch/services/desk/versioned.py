"""One way to change a setting row: a conditional UPDATE on the version the form was shown
at, then an audit line with only the fields that changed (before and after). A stale form
changes nothing and raises ``StaleSetting`` naming the fields changed since that version
(read from the audit lines written by the edits in between) and by whom."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select, update

from dispatch.extensions import db
from dispatch.models import AuditEntry, User
from dispatch.services import audit
from dispatch.services.desk.settings import StaleSetting


def changed_since(action: str, target: str, missed: int) -> tuple[list[str], str]:
    """The fields the last ``missed`` edits of ``target`` changed, and who made the last."""
    entries = list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action, AuditEntry.target == target)
        .order_by(AuditEntry.id.desc()).limit(max(missed, 1))))
    names = sorted({name for entry in entries for name in (entry.after or {})})
    return names, entries[0].actor_name if entries else ""


def save(row: Any, user: User, expected_version: int, values: dict[str, Any], *,
         action: str, fields: Iterable[str],
         values_of: Callable[[Any], dict[str, Any]]) -> Any:
    """Write ``values`` to ``row`` if it is still at ``expected_version``; audit the change."""
    model = type(row)
    target = f"{model.__tablename__.removesuffix('s')}:{row.id}"
    before = values_of(row)
    done = db.session.execute(
        update(model).where(model.id == row.id, model.version == expected_version)
        .values(version=model.version + 1, **values)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(row)
    if done != 1:
        changed, by = changed_since(action, target, row.version - expected_version)
        raise StaleSetting(values_of(row), changed, by)
    after = values_of(row)
    names = [name for name in fields if before.get(name) != after.get(name)]
    audit.record(user, action, target, before={k: before.get(k) for k in names},
                 after={k: after.get(k) for k in names})
    return row


def created(row: Any, user: User, action: str, values_of: Callable[[Any], dict[str, Any]]
            ) -> Any:
    """Audit a new row (before: nothing)."""
    db.session.add(row)
    db.session.flush()
    audit.record(user, action, f"{type(row).__tablename__.removesuffix('s')}:{row.id}",
                 before=None, after=values_of(row))
    return row
