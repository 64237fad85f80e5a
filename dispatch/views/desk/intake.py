"""The desk's register (登记) for a resident at the desk: one keyboard-first page with the
channel, the resident, the place (by name or on the map), the matter, and what happens
next (receive, assign, or answered on the spot); look-alikes nearby as the coordinator
types (a small JSON endpoint for the page's script, and the same list on submit without
it). The rules are in ``services/desk/intake.py``."""

from __future__ import annotations

import secrets

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.geo import maps
from dispatch.geo.coords import TileCRS, from_display, to_display
from dispatch.models import (
    Case,
    CaseKind,
    Category,
    IntakeChannel,
    ReceptionSession,
    Studio,
    utcnow,
)
from dispatch.services.desk import reception
from dispatch.services.desk.intake import DeskIntake, register_at_desk
from dispatch.services.errors import Conflict, InvalidInput
from dispatch.services.intake.filing import filed_by, lookalikes
from dispatch.services.intake.places import PlaceMatch, search_places
from dispatch.services.permissions import Actor
from dispatch.services.responders.suggest import candidates
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.intake_forms import IntakeForm
from dispatch.views.forms import show_error
from dispatch.views.params import arg_id, parse_coordinate, parse_id


def _categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active.is_(True))
                                   .order_by(Category.id)))


def _own_studio() -> Studio | None:
    studio = current_user.studio
    return studio or db.session.scalar(select(Studio).where(Studio.active).order_by(Studio.code))


def _assignee_choices(point: tuple[float, float] | None, category: Category | None
                      ) -> list[SelectChoice]:
    """Every active team and the nearest on-duty volunteers, nearest the place first (or
    the studio, before a place is chosen)."""
    studio = _own_studio()
    centre = point or ((studio.latitude, studio.longitude) if studio else (27.86, 112.95))
    probe = Case(latitude=centre[0], longitude=centre[1],
                 category=category or Category(skills=[]))
    choices = [SelectChoice("", _("— choose —"))]
    for found in candidates(probe):
        kind = _("Team") if found.is_team else _("Volunteer")
        distance = "" if found.distance_m is None else f" · {found.distance_m / 1000:.1f} km"
        choices.append(SelectChoice(found.key, f"{kind}: {found.name}{distance}"))
    return choices


def _session(session_id: int | None) -> ReceptionSession | None:
    return db.session.get(ReceptionSession, session_id) if session_id else None


def _point(form: IntakeForm) -> tuple[float, float] | None:
    """Where the matter is, in WGS-84: the pin (or a match picked), else the one place the
    typed name matches. Several matches or none: an error beside the place."""
    picked = request.form.get("pick") or ""
    if picked:
        lat_text, _sep, rest = picked.partition(",")
        lon_text, _sep, name = rest.partition(",")
        lat, lon = parse_coordinate(lat_text, 90), parse_coordinate(lon_text, 180)
        if lat is not None and lon is not None:
            form.lat.data, form.lon.data, form.crs.data = lat, lon, "wgs84"
            form.address.data = form.address.data or name[:255]
    if form.lat.data is not None and form.lon.data is not None \
            and not (form.lat.errors or form.lon.errors):
        crs = TileCRS.WGS84 if form.crs.data == "wgs84" else maps.tile_crs()
        return from_display(form.lat.data, form.lon.data, crs)
    query = (form.place.data or "").strip()
    matches = search_places(query) if query else []
    if len(matches) == 1:
        form.address.data = form.address.data or matches[0].name
        return matches[0].latitude, matches[0].longitude
    form.place.errors = [*form.place.errors, _(
        "Several places match: choose one below.") if matches else _(
        "Choose the place: type its name and pick a match, or click the map.")]
    return None


def _render(form: IntakeForm, status: int = 200, point: tuple[float, float] | None = None,
            matches: list[PlaceMatch] | None = None,
            near: list[tuple[Case, float]] | None = None) -> tuple[str, int]:
    studio = _own_studio()
    centre = point or ((studio.latitude, studio.longitude) if studio else (27.86, 112.95))
    fmap = maps.base_map(*centre, zoom=17 if point else 15)
    if point is not None:  # the form and the pin speak the map's coordinates
        form.lat.data, form.lon.data = to_display(*point, maps.tile_crs())
        form.crs.data = "display"
    session = _session(form.session.data)
    return render_template(
        "desk/intake.html", form=form, map=maps.embed(fmap), matches=matches or [],
        near=near or [], session=session,
        sessions=reception.todays_sessions(current_user.studio_id, utcnow())), status


def _form(point: tuple[float, float] | None = None) -> IntakeForm:
    form = IntakeForm()
    categories = _categories()
    form.category.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(str(c.id), f"{c.icon} {c.name}".strip()) for c in categories]
    category = next((c for c in categories if str(c.id) == (form.category.data or "")), None)
    form.assignee.choices = _assignee_choices(point, category)
    return form


@bp.get("/intake")
def intake() -> tuple[str, int]:
    form = _form()
    form.submission_token.data = secrets.token_urlsafe(24)
    session = _session(arg_id("session"))
    if session is not None:
        form.session.data = session.id
    return _render(form)


@bp.post("/intake")
def submit_intake() -> Response | tuple[str, int]:
    form = _form()
    already = filed_by(form.submission_token.data or "")
    if already is not None:  # a second submit of the same form: show what the first did
        return redirect(url_for(".case_page", case_id=already.id))
    valid = form.validate()
    point = _point(form)
    matches = search_places(form.place.data or "") if point is None and form.place.data \
        else []
    if not valid or point is None:
        return _render(form, 422, matches=matches)
    category = db.session.get(Category, parse_id(form.category.data))
    if category is None:
        abort(400)
    near = lookalikes(category.id, *point)
    seen = {parse_id(part) for part in (form.seen.data or "").split(",")}
    if any(case.id not in seen for case, _distance in near):
        form.seen.data = ",".join(str(case.id) for case, _distance in near)
        flash(_("Open cases of this category are near: is it one of these? If not, "
                "register it again to file it as new."), "warning")
        return _render(form, 200, point=point, near=near)
    session = _session(form.session.data)
    try:
        case = register_at_desk(DeskIntake(
            channel=IntakeChannel(form.channel.data), kind=CaseKind(form.kind.data),
            category=category, description=form.description.data or "",
            latitude=point[0], longitude=point[1],
            submission_token=form.submission_token.data or "", title=form.title.data or "",
            address=form.address.data or "", reporter_name=form.reporter_name.data,
            reporter_phone=form.reporter_phone.data,
            photos=[f.stream for f in form.photos.data or [] if f and f.filename],
            then=form.then.data or "", assignee=form.assignee.data or "",
            answer=form.answer.data or "", session=session, studio=current_user.studio),
            Actor.of(current_user))
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.description, aliases={
            "location": "place", "phone": "reporter_phone", "reporter_phone": "reporter_phone",
            "photos": "photos", "text": "answer"})
        return _render(form, 422, point=point)
    except Conflict:
        db.session.rollback()
        flash(_("Someone else acted on this case meanwhile; nothing was registered."),
              "danger")
        return _render(form, 409, point=point)
    db.session.commit()
    flash(_("Registered: %(code)s · %(status)s", code=case.tracking_code,
            status=case.status.label), "success")
    if session is not None:
        return redirect(url_for(".reception_session", session_id=session.id))
    return redirect(url_for(".case_page", case_id=case.id))


@bp.get("/intake/lookalikes.json")
def intake_lookalikes() -> Response:
    """Open cases of the category within 150 m of the pin, for the page's script."""
    category_id = arg_id("category")
    lat = parse_coordinate(request.args.get("lat"), 90)
    lon = parse_coordinate(request.args.get("lon"), 180)
    if category_id is None or lat is None or lon is None:
        return jsonify([])
    crs = TileCRS.WGS84 if request.args.get("crs") == "wgs84" else maps.tile_crs()
    point = from_display(lat, lon, crs)
    return jsonify([{
        "id": case.id, "code": case.tracking_code, "title": case.title,
        "status": case.status.label, "distance_m": round(distance),
        "url": url_for(".case_page", case_id=case.id),
    } for case, distance in lookalikes(category_id, *point)])
