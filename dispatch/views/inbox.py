"""Every staff member's in-app inbox (the unread badge is in the page header)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select, update
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.models import InboxMessage, utcnow
from dispatch.views.forms import NotificationSettingsForm

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


@bp.route("/settings", methods=["GET", "POST"])
def settings() -> Response | tuple[str, int] | str:
    """Which channels this person gets, and in which language."""
    user = current_user
    form = NotificationSettingsForm(email=user.email or "", notify_by_email=user.notify_by_email,
                                    language=user.language or "zh")
    if form.validate_on_submit():
        if form.notify_by_email.data and not form.email.data:
            form.email.errors = [_("Enter an email address to get email.")]
            return render_template("inbox_settings.html", form=form), 422
        user.email = (form.email.data or "").strip() or None
        user.notify_by_email = bool(form.notify_by_email.data)
        user.language = form.language.data
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for(".settings"))
    return render_template("inbox_settings.html", form=form), 422 if form.errors else 200
