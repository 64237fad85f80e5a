"""QR posters (A4 print view) per service point and studio: a resident who scans one opens
the report form with the place already set ("report a problem at this 暖蜂益站")."""

from __future__ import annotations

import segno
from flask import current_app, render_template, url_for
from markupsafe import Markup
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import ServicePoint, Studio
from dispatch.views.desk.blueprint import bp


def report_url(latitude: float, longitude: float, name: str) -> str:
    """The report form's first step with the place set (WGS-84, as stored)."""
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return base + url_for("public.report_place", lat=f"{latitude:.6f}", lon=f"{longitude:.6f}",
                          crs="wgs84", address=name)


@bp.get("/posters")
def posters() -> tuple[str, int]:
    # Retired places get no new poster (one already printed keeps working: its own page).
    points = list(db.session.scalars(select(ServicePoint).where(ServicePoint.active)
                                     .order_by(ServicePoint.code)))
    studios = list(db.session.scalars(select(Studio).where(Studio.active).order_by(Studio.code)))
    return render_template("desk/posters.html", points=points, studios=studios), 200


def _poster(name: str, kind: str, latitude: float, longitude: float) -> tuple[str, int]:
    url = report_url(latitude, longitude, name)
    return render_template(
        "desk/poster.html", name=name, kind=kind, url=url,
        qr_svg=Markup(segno.make(url, error="m").svg_inline(scale=10, border=2))), 200


@bp.get("/posters/points/<id:point_id>")
def point_poster(point_id: int) -> tuple[str, int]:
    point = db.get_or_404(ServicePoint, point_id)
    return _poster(point.name, point.kind.label, point.latitude, point.longitude)


@bp.get("/posters/studios/<id:studio_id>")
def studio_poster(studio_id: int) -> tuple[str, int]:
    studio = db.get_or_404(Studio, studio_id)
    return _poster(studio.name, "", studio.latitude, studio.longitude)
