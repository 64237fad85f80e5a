"""Pages for residents, no account needed: the home page, tracking a case, language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from dispatch.config import LANGUAGES
from dispatch.extensions import db
from dispatch.forms import LanguageForm
from dispatch.models import Case, CaseEvent, utcnow
from dispatch.services.studios import studios_today

bp = Blueprint("public", __name__)


@bp.get("/")
def home() -> str:
    return render_template("public/home.html", studios=studios_today(utcnow()))


@bp.post("/language")
def set_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in LANGUAGES:
        session["lang"] = form.lang.data
    target = form.next.data or "/"
    if urlsplit(target).netloc or not target.startswith("/") or target.startswith("//"):
        target = "/"
    return redirect(target)


@bp.get("/track")
def track() -> Response:
    code = (request.args.get("code") or "").strip().upper().replace("-", "").replace(" ", "")
    return redirect(url_for(".case_status", code=code) if code else url_for(".home"))


@bp.get("/c/<code>")
def case_status(code: str) -> str:
    """The public view of a case: never internal notes, never a phone number."""
    case = db.session.scalar(select(Case).where(Case.tracking_code == code.upper()))
    if case is None:
        abort(404)
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.internal.is_(False))
        .order_by(CaseEvent.seq))
    return render_template("public/case.html", case=case, events=list(events))
