"""Every staff member's in-app inbox (the unread badge is in the page header)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, update
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.models import InboxMessage, utcnow

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


@bp.before_request
@login_required
def _signed_in() -> None:
    return None


@bp.get("/")
def messages() -> str:
    rows = db.session.scalars(select(InboxMessage).where(InboxMessage.user_id == current_user.id)
                              .order_by(InboxMessage.id.desc()).limit(100))
    return render_template("inbox.html", messages=list(rows))


@bp.post("/read")
def mark_read() -> Response:
    db.session.execute(update(InboxMessage).where(InboxMessage.user_id == current_user.id,
                                                  InboxMessage.read_at.is_(None))
                       .values(read_at=utcnow()))
    db.session.commit()
    return redirect(url_for(".messages"))
