"""The desk's view of deliveries: what failed (with the error) and what still waits, and
"try again" on a failed one."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.jobs.outbox import enqueue as queue_notification
from dispatch.models import Notification
from dispatch.services.cases import notifications as outbox
from dispatch.views.desk.blueprint import bp


@bp.get("/notifications")
def notifications() -> str:
    """Failed deliveries (with the error) first, then what is still waiting."""
    return render_template("desk/notifications.html", failed=outbox.failed(),
                           waiting=outbox.waiting())


@bp.post("/notifications/<id:notification_id>/retry")
def retry_notification(notification_id: int) -> Response:
    row = db.get_or_404(Notification, notification_id)
    outbox.retry(row)
    db.session.commit()
    queue_notification(row.id, again=True)
    flash(_("Queued again."), "success")
    return redirect(url_for(".notifications"))
