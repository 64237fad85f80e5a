"""Residents, no account needed: report a hazard or a wish in two steps, say "me too",
give feedback, and see the photos. Phone first."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

from flask import (
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from dispatch.config import PROJECT_ROOT
from dispatch.extensions import db, limiter
from dispatch.geo import maps
from dispatch.geo.coords import TileCRS, from_display, to_display
from dispatch.jobs.photos import enqueue_processing
from dispatch.models import Case, CaseKind, CasePhoto, Category, Region
from dispatch.models.case import public_point
from dispatch.services.cases import lifecycle
from dispatch.services.cases.commands import yes_or_no
from dispatch.services.cases.queries import case_by_tracking_code
from dispatch.services.errors import InvalidInput
from dispatch.services.intake.filing import (
    LOOKALIKE_RADIUS_M,
    NewReport,
    add_support,
    category_by_code,
    feedback_key,
    file_report,
    holds_feedback_key,
    lookalikes,
    within_service_area,
)
from dispatch.services.intake.places import search_places
from dispatch.services.permissions import Actor
from dispatch.services.photos import photo_path, upload_dir
from dispatch.views.forms import show_error
from dispatch.views.public import browser
from dispatch.views.public.blueprint import bp
from dispatch.views.public.forms import (
    ReportDetailsForm,
    ReportPlaceForm,
    ResidentFeedbackForm,
    SupportForm,
)
from dispatch.views.public.home import case_page
from dispatch.views.public.public_maps import add_point
from dispatch.views.public.wording import words_for
from dispatch.views.templating import local_time


def _categories(kind: str) -> list[Category]:
    """The active categories a resident may file this kind under (a wish is not offered
    the hazards' categories, nor the other way round)."""
    return [c for c in db.session.scalars(select(Category).where(Category.active.is_(True))
                                          .order_by(Category.id)) if c.fits(kind)]


def _category_choices(kind: str) -> list[SelectChoice]:
    return [SelectChoice(c.code, f"{c.icon} {c.name}") for c in _categories(kind)]


def _kind_of(value: object) -> str:
    return "wish" if value == "wish" else "hazard"


def _picker_map(point: tuple[float, float] | None) -> maps.MapEmbed:
    """The map to tap; the pin itself is placed by static/js/report-place.js."""
    if point is None:
        region = db.session.scalar(select(Region).order_by(Region.id))
        centre = (region.latitude, region.longitude) if region else (27.86, 112.95)
        return maps.embed(maps.base_map(*centre, zoom=14))
    return maps.embed(maps.base_map(*point, zoom=17))


@bp.get("/report")
def report_place() -> Response | str:
    """Step 1: kind, category and the place (map, GPS or a name)."""
    form = ReportPlaceForm(request.args)
    kind = _kind_of(form.kind.data)
    form.kind.data = kind
    form.category.choices = _category_choices(kind)
    point = None
    if form.lat.data is not None and form.lon.data is not None and not (
            form.lat.errors or form.lon.errors):
        crs = TileCRS.WGS84 if form.crs.data == "wgs84" else maps.tile_crs()
        point = from_display(form.lat.data, form.lon.data, crs)
    if "next" in request.args and form.validate():
        assert point is not None
        if not within_service_area(*point):
            form.lat.errors = [_("This place is outside the area our studios serve.")]
        else:
            return redirect(url_for(".report_details", kind=form.kind.data,
                                    category=form.category.data, lat=f"{point[0]:.6f}",
                                    lon=f"{point[1]:.6f}", address=form.address.data or ""))
    if point is not None:  # the form and the pin speak the map's coordinates
        form.lat.data, form.lon.data = to_display(*point, maps.tile_crs())
        form.crs.data = "display"
    query = (request.args.get("q") or "").strip()
    return render_template("public/report_place.html", form=form, map=_picker_map(point),
                           query=query, matches=search_places(query) if query else [],
                           words=words_for(kind), other_kind="hazard" if kind == "wish"
                           else "wish")


def _details_context(form: ReportDetailsForm) -> dict[str, object]:
    category = category_by_code(form.category.data)
    if category is None or form.kind.data not in ("hazard", "wish") or \
            not category.fits(form.kind.data) or form.lat.data is None or form.lon.data is None:
        abort(400)
    words = words_for(form.kind.data)
    form.description.label.text = str(words["description"])
    if form.description.errors and form.kind.data == "wish":
        form.description.errors = [str(words["describe"])]
    near = lookalikes(category.id, form.lat.data, form.lon.data)
    # A wish is drawn as it will be shown once filed: blurred, like the look-alikes.
    here = public_point(form.kind.data, form.lat.data, form.lon.data)
    fmap = maps.base_map(*here, zoom=16)
    maps.add_circle(fmap, *here, LOOKALIKE_RADIUS_M)
    add_point(fmap, form.kind.data, *here, tooltip=_("Your report"))
    for case, _distance in near:
        add_point(fmap, case.kind, case.latitude, case.longitude, tooltip=case.title,
                  colour="orange")
    support_forms = {case.id: SupportForm(formdata=None,
                                          submission_token=secrets.token_urlsafe(24))
                     for case, _distance in near}
    return {"form": form, "category": category, "near": near, "map": maps.embed(fmap),
            "support_forms": support_forms, "words": words}


@bp.get("/report/details")
def report_details() -> str:
    """Step 2: look-alikes nearby first ("is it one of these?"), then the details."""
    form = ReportDetailsForm(request.args, submission_token=secrets.token_urlsafe(24))
    return render_template("public/report_details.html", **_details_context(form))


def _filed(response: Response) -> bool:
    return response.status_code == 302  # only an accepted filing counts toward the limit


def _too_many_filings(limit: RequestLimit) -> Response:
    """The form again, as it was typed, saying when this address may file again."""
    form = ReportDetailsForm()
    context = _details_context(form)
    until = datetime.fromtimestamp(limit.reset_at, UTC)
    page = render_template("public/report_details.html", **context, limit_message=_(
        "This address has filed %(n)d reports recently, the most we take at once. You can "
        "send this one after %(time)s; what you typed is kept below.",
        n=limit.limit.amount, time=local_time(until)))
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(max(int(limit.reset_at - time.time()), 1))
    return response


@bp.post("/report/details")
@limiter.limit(lambda: current_app.config["REPORT_LIMITS"], deduct_when=_filed,
               on_breach=_too_many_filings)
def submit_report() -> Response | tuple[str, int]:
    form = ReportDetailsForm()
    # The page (map, look-alikes) is rebuilt only when the form has to be shown again.
    if not form.validate():
        return render_template("public/report_details.html", **_details_context(form)), 422
    category = category_by_code(form.category.data)
    if category is None or form.kind.data not in ("hazard", "wish") or \
            not category.fits(form.kind.data):
        abort(400)
    photos = [f.stream for f in form.photos.data or [] if f and f.filename]
    try:
        case = file_report(NewReport(
            kind=CaseKind(form.kind.data), category=category,
            description=form.description.data or "", latitude=float(form.lat.data or 0),
            longitude=float(form.lon.data or 0),
            submission_token=form.submission_token.data or "",
            address=form.address.data or "", reporter_name=form.name.data,
            reporter_phone=form.phone.data, wants_updates=bool(form.wants_updates.data),
            photos=photos))
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.description, aliases={"location": "description"})
        return render_template("public/report_details.html", **_details_context(form)), 422
    code = case.tracking_code  # read before the commit expires the row: no reload
    db.session.commit()
    key = feedback_key(form.submission_token.data or "")
    browser.remember_feedback_key(code, key)
    return redirect(url_for("public.case_status", code=code, filed=1, k=key))


@bp.post("/c/<code>/feedback")
def give_feedback(code: str) -> Response | tuple[str, int]:
    case = _case_by_code(code)
    form = ResidentFeedbackForm()
    if not holds_feedback_key(case, browser.feedback_key_for(case.tracking_code,
                                                             form.key.data)):
        abort(404)  # the tracking code is public; the key is the resident's alone
    if not form.validate():  # shown again beside its fields, with what was typed
        return case_page(case, feedback_form=form, status=422)
    lifecycle.give_feedback(case, Actor.resident(), satisfied=form.satisfied.data == "yes",
                            rating=int(form.rating.data), comment=form.comment.data or "",
                            fixed=yes_or_no(form.fixed.data), expected_version=form.version.data)
    db.session.commit()
    return redirect(url_for("public.case_status", code=case.tracking_code, thanks=1))


@bp.post("/c/<code>/support")
@limiter.limit(lambda: current_app.config["SUPPORT_LIMITS"])
def support(code: str) -> Response:
    """"Me too": at most SUPPORT_LIMITS per address, once per form and once per browser."""
    case = _case_by_code(code)
    form = SupportForm()
    if not form.validate():
        raise InvalidInput("phone", _("This form has expired; please try again."))
    if browser.already_supported(case.id) or browser.filed_here(case):
        return redirect(url_for("public.case_status", code=case.tracking_code))
    add_support(case, form.submission_token.data or "", form.phone.data)
    db.session.commit()
    browser.remember_support(case.id)
    return redirect(url_for("public.case_status", code=case.tracking_code, supported=1))


PENDING_PICTURE = PROJECT_ROOT / "static" / "img" / "photo-pending.png"


@bp.get("/media/<key>.jpg")
def photo(key: str) -> Response:
    """Photos are public unless a moderator hid them (the desk still sees those, to judge
    them); the key is unguessable. Only a processed ("ready") photo's files are served: a
    pending one shows a placeholder, never the upload."""
    thumb = key.endswith("_thumb")
    key = key.removesuffix("_thumb")
    record = db.session.scalar(select(CasePhoto).where(CasePhoto.key == key))
    at_desk = current_user.is_authenticated and current_user.at_desk
    if record is None or record.state == "refused" or (record.hidden and not at_desk):
        abort(404)
    if record.state == "pending":
        enqueue_processing(key)  # a no-op while its job waits; again if Redis had lost it
        response = send_file(PENDING_PICTURE, mimetype="image/png", max_age=0)
        response.headers["Cache-Control"] = "no-store"  # the photo replaces it soon
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
    try:
        path = photo_path(upload_dir(), key, thumb=thumb)
    except ValueError:
        abort(404)
    stand_in = thumb and not path.exists()  # an older photo without one: the image itself
    if stand_in:
        path = photo_path(upload_dir(), key)
        enqueue_processing(key)  # the job makes the missing thumbnail
    if not path.exists():
        abort(404)
    # An hour at most in caches, so hiding a photo takes effect soon; hidden ones never.
    response = send_file(path, mimetype="image/jpeg",
                         max_age=0 if record.hidden or stand_in else 3600)
    if record.hidden:
        response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/my-reports")
def my_reports() -> str:
    return render_template("public/my_reports.html")


def _case_by_code(code: str) -> Case:
    case = case_by_tracking_code(code)
    if case is None:
        abort(404)
    return case
