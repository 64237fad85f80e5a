"""One way to change a setting row (a category, studio, service point, reply template, team
or user): a conditional UPDATE on the version the form was shown at, then an audit line
with only the fields that changed (before and after). A stale form changes nothing and
raises ``StaleSetting`` naming the fields changed since that version (read from the audit
lines written by the edits in between) and by whom."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from dispatch.extensions import db
from dispatch.models import AuditEntry, User
from dispatch.services import audit
from dispatch.services.errors import DomainError


class StaleSetting(DomainError):
    """Someone else changed the setting since the form was shown."""

    http_status = 409

    def __init__(self, current: dict[str, Any], changed: list[str], by: str) -> None:
        super().__init__()
        self.current, self.changed, self.by = current, changed, by

    def message(self) -> str:
        return _("%(name)s changed this meanwhile; nothing was saved. Look at the values "
                 "now and save again.", name=self.by or _("Someone"))


def changed_since(target: str, missed: int) -> tuple[list[str], str]:
    """The fields the last ``missed`` edits of ``target`` changed (whichever page made
    them: every one raised the version), and who made the last."""
    entries = list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.target == target)
        .order_by(AuditEntry.id.desc()).limit(max(missed, 1))))
    names = sorted({name for entry in entries for name in (entry.after or {})})
    return names, entries[0].actor_name if entries else ""


def target_of(row: Any) -> str:
    """How the audit log names a row: "studio:3", "service_point:7", "category:2"."""
    table: str = type(row).__tablename__
    singular = table[:-3] + "y" if table.endswith("ies") else table.removesuffix("s")
    return f"{singular}:{row.id}"


def save(row: Any, user: User, expected_version: int, values: dict[str, Any], *,
         action: str, values_of: Callable[[Any], dict[str, Any]],
         fields: Iterable[str] | None = None, extra: dict[str, Any] | None = None) -> Any:
    """Write ``values`` to ``row`` if it is still at ``expected_version``; audit the change
    of ``fields`` (default: everything ``values_of`` shows). ``extra`` is written with it
    but not audited (a session counter, say)."""
    model = type(row)
    target = target_of(row)
    before = values_of(row)
    done = db.session.execute(
        update(model).where(model.id == row.id, model.version == expected_version)
        .values(version=model.version + 1, **values, **(extra or {}))
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(row)
    if done != 1:
        changed, by = changed_since(target, row.version - expected_version)
        raise StaleSetting(values_of(row), changed, by)
    after = values_of(row)
    names = [name for name in (fields or after) if before.get(name) != after.get(name)]
    audit.record(user, action, target, before={k: before.get(k) for k in names},
                 after={k: after.get(k) for k in names})
    return row


def created(row: Any, user: User, action: str, values_of: Callable[[Any], dict[str, Any]]
            ) -> Any:
    """Audit a new row (before: nothing)."""
    db.session.add(row)
    db.session.flush()
    audit.record(user, action, target_of(row), before=None, after=values_of(row))
    return row
