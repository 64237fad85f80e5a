"""The audit log: every change to people and settings, with who, when, what, and the
values before and after. Written in the caller's transaction (it commits with the change
or not at all); never edited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import AuditEntry, User


def record(actor: User | None, action: str, target: str = "", *,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           note: str = "") -> AuditEntry:
    entry = AuditEntry(actor_id=actor.id if actor else None,
                       actor_name=actor.display_name if actor else "system",
                       action=action, target=target, before=before, after=after,
                       note=note[:2000])
    db.session.add(entry)
    db.session.flush()
    return entry


def latest(limit: int = 100, action: str | None = None,
           target: str | None = None, area: str | None = None) -> list[AuditEntry]:
    """The newest entries; ``area`` ("team", "user") takes every action of that area."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    if area:
        query = query.where(AuditEntry.action.startswith(f"{area}."))
    if target:
        query = query.where(AuditEntry.target == target)
    return list(db.session.scalars(query))
