"""The one way a case goes onto a public map: at ``Case.public_point``, a wish as a circle
of about 100 m with no marker at its centre, a hazard as a marker."""

from __future__ import annotations

import folium

from dispatch.geo import maps
from dispatch.models import Case, CaseKind
from dispatch.models.case import WISH_PRECISION_M, public_point


def add_point(fmap: folium.Map, kind: CaseKind | str, latitude: float, longitude: float,
              *, tooltip: str = "", popup: str = "", colour: str = "red") -> None:
    """A place as the public sees it (also the one a resident is placing, shown as it will
    be once filed)."""
    lat, lon = public_point(kind, latitude, longitude)
    if kind in (CaseKind.WISH, CaseKind.WISH.value):
        maps.add_circle(fmap, lat, lon, WISH_PRECISION_M, tooltip=tooltip)
    else:
        maps.add_marker(fmap, lat, lon, tooltip=tooltip, popup=popup, colour=colour)


def case_map(case: Case) -> maps.MapEmbed:
    """The map on a case's public page."""
    fmap = maps.base_map(*case.public_point, zoom=16)
    add_point(fmap, case.kind, case.latitude, case.longitude, tooltip=case.title,
              popup=case.title)
    return maps.embed(fmap)
