"""Desk pages kept per studio (the duty rota, the reception days): which studio a page
shows, from ``?studio=``, else the coordinator's own, else the first one still active."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Studio
from dispatch.views.params import arg_id


def active_studios() -> list[Studio]:
    """The picker's choices: a retired studio keeps its history but is no longer run."""
    return list(db.session.scalars(select(Studio).where(Studio.active).order_by(Studio.code)))


def chosen_studio() -> Studio:
    studio_id = arg_id("studio") or current_user.studio_id
    studio = db.session.get(Studio, studio_id) if studio_id else None
    studio = studio or db.session.scalar(select(Studio).where(Studio.active).order_by(Studio.code))
    if studio is None:
        abort(404)
    return studio
