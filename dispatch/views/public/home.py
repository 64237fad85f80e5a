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
from dispatch.models import OPEN_STATUSES, Case, CaseEvent, CaseStatus, utcnow
from dispatch.services.cases.queries import case_by_tracking_code
from dispatch.services.intake.filing import holds_feedback_key
from dispatch.services.responders.studios import studios_today
from dispatch.views.forms import TEXT_SIZE_COOKIE, LanguageForm, TextSizeForm
from dispatch.views.public import browser
from dispatch.views.public.blueprint import bp
from dispatch.views.public.browser import feedback_key_for
from dispatch.views.public.forms import ResidentFeedbackForm, SupportForm
from dispatch.views.public.public_maps import case_map
from dispatch.views.public.wording import words_for
from dispatch.views.redirects import safe_next

TEXT_SIZE_MAX_AGE = 365 * 24 * 3600


@bp.get("/")
def home() -> str:
    return render_template("public/home.html", studios=studios_today(utcnow()))


@bp.post("/language")
def set_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in LANGUAGES:
        session["lang"] = form.lang.data
    return redirect(safe_next(form.next.data) or "/")


@bp.post("/text-size")
def set_text_size() -> Response:
    """The larger-text setting of the phone pages, kept in a cookie across visits."""
    form = TextSizeForm()
    response = redirect(safe_next(form.next.data) or "/")
    if form.validate_on_submit():
        if form.size.data == "large":
            response.set_cookie(TEXT_SIZE_COOKIE, "large", max_age=TEXT_SIZE_MAX_AGE,
                                secure=current_app.config["SESSION_COOKIE_SECURE"],
                                httponly=True, samesite="Lax")
        else:
            response.delete_cookie(TEXT_SIZE_COOKIE, httponly=True, samesite="Lax")
    return response


@bp.get("/track")
def track() -> Response:
    code = (request.args.get("code") or "").strip().upper().replace("-", "").replace(" ", "")
    return redirect(url_for(".case_status", code=code) if code else url_for(".home"))


@bp.get("/c/<code>")
def case_status(code: str) -> str:
    case = case_by_tracking_code(code)
    if case is None:
        abort(404)
    return case_page(case)[0]


def case_page(case: Case, feedback_form: ResidentFeedbackForm | None = None,
              status: int = 200) -> tuple[str, int]:
    """The public view of a case: never internal notes, never a phone number. A refused
    feedback form is shown again as it was posted, with its errors."""
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.internal.is_(False))
        .order_by(CaseEvent.seq))
    url = url_for(".case_status", code=case.tracking_code, _external=True)
    key = feedback_key_for(case.tracking_code, request.args.get("k") or (
        feedback_form.key.data if feedback_form else None))
    holds_key = holds_feedback_key(case, key)
    if feedback_form is None and holds_key and case.status == CaseStatus.REPLIED:
        feedback_form = ResidentFeedbackForm(formdata=None, version=case.version, key=key)
    # The browser that filed it, or already said "me too", is counted once already.
    counted = holds_key or browser.already_supported(case.id)
    support_form = SupportForm(formdata=None, submission_token=secrets.token_urlsafe(24)) \
        if case.status in OPEN_STATUSES and not counted else None
    return render_template(
        "public/case.html", case=case, events=list(events), map=case_map(case),
        photos=[p for p in case.photos if not p.hidden], page_url=url,
        qr_svg=Markup(segno.make(url, error="m").svg_inline(scale=4, border=2)),
        feedback_form=feedback_form, support_form=support_form,
        counted=counted and case.status in OPEN_STATUSES, own_report=holds_key,
        words=words_for(case.kind),
        private_url=url_for(".case_status", code=case.tracking_code, k=key, _external=True)
        if holds_key else None, feedback_key=key if holds_key else None), status


@bp.get("/sw.js")
def service_worker() -> Response:
    """Served from the root so that it may look after the volunteer pages under /v/."""
    response = send_from_directory(current_app.static_folder or "", "js/sw.js",
                                   mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico wherever a page names no icon (the API's JSON, a
    download); a 404 there is an error in every console."""
    return send_from_directory(current_app.static_folder or "", "icons/icon-192.png",
                               mimetype="image/png", max_age=86400)


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    return send_from_directory(current_app.static_folder or "", "manifest.webmanifest",
                               mimetype="application/manifest+json", max_age=3600)
