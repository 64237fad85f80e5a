"""The captain's part in people joining: the applications to their team, approved or
declined on the phone (the same rules as the desk: ``services/responders/joining.py``)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.models import VolunteerApplication
from dispatch.services.errors import InvalidInput
from dispatch.services.responders import joining
from dispatch.views.field.blueprint import bp
from dispatch.views.joining_forms import DecisionForm


@bp.get("/team/applications")
def team_applications() -> tuple[str, int]:
    return render_template("field/applications.html",
                           applications=joining.pending_for(current_user),
                           form=DecisionForm(formdata=None)), 200


@bp.post("/team/applications")
def decide_team_application() -> Response | tuple[str, int]:
    form = DecisionForm()
    if not form.validate() or form.decision.data not in ("approve", "decline"):
        abort(400)
    application = db.get_or_404(VolunteerApplication, form.application_id.data)
    if not joining.may_decide(application, current_user):
        abort(403)
    try:
        approved = joining.decide(application, current_user, form.decision.data,
                                  form.reason.data or "")
    except InvalidInput as error:
        db.session.rollback()
        flash(error.message(), "warning")
        return redirect(url_for(".team_applications"))
    db.session.commit()
    if approved is None:
        flash(_("Declined."), "success")
        return redirect(url_for(".team_applications"))
    volunteer, token = approved
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return render_template("field/application_approved.html", user=volunteer,
                           url=base + url_for("auth.set_password", token=token)), 200
