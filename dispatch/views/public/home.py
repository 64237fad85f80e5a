"""Pages for residents, no account needed: the home page, tracking a case, language."""

from __future__ import annotations

import secrets

import segno
from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from dispatch.config import LANGUAGES
from dispatch.extensions import db
from dispatch.geo import maps
from dispatch.models import OPEN_STATUSES, Case, CaseEvent, CaseKind, CaseStatus, utcnow
from dispatch.services.cases.queries import case_by_tracking_code
from dispatch.services.responders.studios import studios_today
from dispatch.views.forms import LanguageForm
from dispatch.views.public.blueprint import bp
from dispatch.views.public.forms import ResidentFeedbackForm, SupportForm
from dispatch.views.redirects import safe_next


@bp.get("/")
def home() -> str:
    return render_template("public/home.html", studios=studios_today(utcnow()))


@bp.post("/language")
def set_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in LANGUAGES:
        session["lang"] = form.lang.data
    return redirect(safe_next(form.next.data) or "/")


@bp.get("/track")
def track() -> Response:
    code = (request.args.get("code") or "").strip().upper().replace("-", "").replace(" ", "")
    return redirect(url_for(".case_status", code=code) if code else url_for(".home"))


WISH_PRECISION_M = 100


def public_point(case: Case) -> tuple[float, float]:
    """A micro-wish is often someone's home: show it only to about 100 m."""
    if case.kind == CaseKind.WISH:
        return round(case.latitude, 3), round(case.longitude, 3)
    return case.latitude, case.longitude


def _public_map(case: Case) -> maps.MapEmbed:
    lat, lon = public_point(case)
    fmap = maps.base_map(lat, lon, zoom=16)
    if case.kind == CaseKind.WISH:
        maps.add_circle(fmap, lat, lon, WISH_PRECISION_M, tooltip=case.title)
    else:
        maps.add_marker(fmap, lat, lon, tooltip=case.title, popup=case.title)
    return maps.embed(fmap)


@bp.get("/c/<code>")
def case_status(code: str) -> str:
    """The public view of a case: never internal notes, never a phone number."""
    case = case_by_tracking_code(code)
    if case is None:
        abort(404)
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.internal.is_(False))
        .order_by(CaseEvent.seq))
    url = url_for(".case_status", code=case.tracking_code, _external=True)
    feedback_form = ResidentFeedbackForm(formdata=None, version=case.version) \
        if case.status == CaseStatus.REPLIED else None
    support_form = SupportForm(formdata=None, submission_token=secrets.token_urlsafe(24)) \
        if case.status in OPEN_STATUSES else None
    return render_template(
        "public/case.html", case=case, events=list(events), map=_public_map(case),
        photos=[p for p in case.photos if not p.hidden], page_url=url,
        qr_svg=Markup(segno.make(url, error="m").svg_inline(scale=4, border=2)),
        feedback_form=feedback_form, support_form=support_form)


@bp.get("/sw.js")
def service_worker() -> Response:
    """Served from the root so that it may look after the volunteer pages under /v/."""
    response = send_from_directory(current_app.static_folder or "", "js/sw.js",
                                   mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    return send_from_directory(current_app.static_folder or "", "manifest.webmanifest",
                               mimetype="application/manifest+json", max_age=3600)
