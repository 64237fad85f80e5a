"""Desk pages kept per studio (the duty rota, the reception days): which studio a page
shows, from ``?studio=``, else the coordinator's own, else the first one."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Studio
from dispatch.views.params import arg_id


def chosen_studio() -> Studio:
    studio_id = arg_id("studio") or current_user.studio_id
    studio = db.session.get(Studio, studio_id) if studio_id else None
    studio = studio or db.session.scalar(select(Studio).order_by(Studio.code))
    if studio is None:
        abort(404)
    return studio
