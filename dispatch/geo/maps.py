"""Folium map builders: plain data in, HTML and script out, every user string escaped.

Folium points its JavaScript and CSS at CDNs; ``use_local_assets`` rebinds them once to the
copies under ``static/vendor/`` so that pages work offline (map tiles excepted). Pages embed
a map as three parts (the div, the script, and the asset links from ``map_assets`` in
``_macros.html``) instead of Folium's whole-document output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import folium
from flask import current_app
from flask_babel import gettext as _
from folium.plugins import FeatureGroupSubGroup, MarkerCluster
from folium.utilities import JsCode
from markupsafe import Markup, escape

from dispatch.geo.coords import TileCRS, to_display
from dispatch.geo.folium_output import render_output_once

VENDOR = "/static/vendor"
LOCAL_JS = [
    ("leaflet", f"{VENDOR}/leaflet-1.9.3/leaflet.js"),
    ("jquery", f"{VENDOR}/jquery-3.7.1/jquery-3.7.1.min.js"),
    ("bootstrap", f"{VENDOR}/bootstrap-5.2.2/js/bootstrap.bundle.min.js"),
    ("awesome_markers", f"{VENDOR}/leaflet.awesome-markers-2.0.2/leaflet.awesome-markers.js"),
]
LOCAL_CSS = [
    ("leaflet_css", f"{VENDOR}/leaflet-1.9.3/leaflet.css"),
    ("bootstrap_css", f"{VENDOR}/bootstrap-5.2.2/css/bootstrap.min.css"),
    ("glyphicons_css", f"{VENDOR}/bootstrap-glyphicons-3.0.0/bootstrap-glyphicons.css"),
    ("awesome_markers_font_css", f"{VENDOR}/fontawesome-free-6.2.0/css/all.min.css"),
    ("awesome_markers_css",
     f"{VENDOR}/leaflet.awesome-markers-2.0.2/leaflet.awesome-markers.css"),
    ("awesome_rotate_css", f"{VENDOR}/leaflet.awesome.rotate/leaflet.awesome.rotate.min.css"),
]


LOCAL_CLUSTER_JS = [
    ("markerclusterjs", f"{VENDOR}/leaflet.markercluster-1.5.3/leaflet.markercluster.js")]
LOCAL_SUBGROUP_JS = [
    ("featuregroupsubgroupjs",
     f"{VENDOR}/leaflet.featuregroup.subgroup-1.0.2/leaflet.featuregroup.subgroup.js")]
LOCAL_CLUSTER_CSS = [
    ("markerclustercss", f"{VENDOR}/leaflet.markercluster-1.5.3/MarkerCluster.css"),
    ("markerclusterdefaultcss", f"{VENDOR}/leaflet.markercluster-1.5.3/MarkerCluster.Default.css"),
]


def use_local_assets() -> None:
    """Also: Folium's rendered output is kept as text, never compiled and evaluated again
    as a template (``folium_output``: faster, and user text stays text)."""
    render_output_once()
    folium.Map.default_js = LOCAL_JS
    folium.Map.default_css = LOCAL_CSS
    MarkerCluster.default_js = LOCAL_CLUSTER_JS
    MarkerCluster.default_css = LOCAL_CLUSTER_CSS
    FeatureGroupSubGroup.default_js = LOCAL_SUBGROUP_JS


def safe_text(text: object) -> Markup:
    """Escape user text for a Folium popup or tooltip.

    Folium puts popup and tooltip HTML inside JavaScript template literals, so besides
    HTML escaping, a backtick, ``${`` or a backslash could end the literal or run code.
    """
    escaped = str(escape(str(text)))
    for char, entity in (("`", "&#96;"), ("$", "&#36;"), ("\\", "&#92;")):
        escaped = escaped.replace(char, entity)
    return Markup(escaped)


_JS_STRING_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                      ("`", "\\u0060"), ("$", "\\u0024"))


def js_text(text: object) -> JsCode:
    """Plain text as a JavaScript string literal for a Leaflet option (a marker's title):
    JSON with every character that could close a script or a template literal escaped,
    so the text arrives exactly as typed and nothing in it can run."""
    literal = json.dumps(str(text), ensure_ascii=True)
    for char, escaped in _JS_STRING_ESCAPES:
        literal = literal.replace(char, escaped)
    return JsCode(literal)


@dataclass(frozen=True)
class MapEmbed:
    name: str  # the Leaflet map's JavaScript variable
    html: Markup
    script: Markup


def tile_crs() -> TileCRS:
    return TileCRS(current_app.config.get("TILE_CRS", "wgs84"))


def base_map(latitude: float, longitude: float, zoom: int = 16) -> folium.Map:
    """A map centred on a stored (WGS-84) point, drawn on the configured tiles."""
    lat, lon = to_display(latitude, longitude, tile_crs())
    fmap = folium.Map(location=[lat, lon], zoom_start=zoom, tiles=None,
                      control_scale=True, prefer_canvas=False)
    folium.TileLayer(tiles=current_app.config["TILE_URL"],
                     attr=current_app.config["TILE_ATTRIBUTION"], max_zoom=19).add_to(fmap)
    return fmap


def add_marker(fmap: folium.Map, latitude: float, longitude: float, *, popup: str = "",
               tooltip: str = "", colour: str = "red", icon: str = "info-sign") -> None:
    lat, lon = to_display(latitude, longitude, tile_crs())
    folium.Marker(
        [lat, lon],
        popup=folium.Popup(safe_text(popup), max_width=260) if popup else None,
        tooltip=folium.Tooltip(safe_text(tooltip)) if tooltip else None,
        icon=folium.Icon(color=colour, icon=icon),
        # Leaflet makes the marker a button; its title is the button's accessible name
        # (a DOM property: plain text, never parsed as HTML).
        title=js_text(tooltip or popup) if tooltip or popup else None,
    ).add_to(fmap)


def add_circle(fmap: folium.Map, latitude: float, longitude: float, radius_m: float,
               tooltip: str = "") -> None:
    lat, lon = to_display(latitude, longitude, tile_crs())
    folium.Circle([lat, lon], radius=radius_m, color="#fa9d3b", fill=True, fill_opacity=0.2,
                  tooltip=folium.Tooltip(safe_text(tooltip)) if tooltip else None).add_to(fmap)


_SCRIPT_TAG = re.compile(r"<script(?![^>]*\bnonce=)(?=[\s>])", re.IGNORECASE)


def add_nonce(html: Markup | str, nonce: str) -> Markup:
    """Folium's HTML with the page's CSP nonce on each ``<script>`` tag (plugins may put
    scripts in the HTML part; the map's own script is wrapped by ``map_block``)."""
    return Markup(_SCRIPT_TAG.sub(f'<script nonce="{escape(nonce)}"', str(html)))


def embed(fmap: folium.Map) -> MapEmbed:
    figure = fmap.get_root()
    figure.render()
    return MapEmbed(name=fmap.get_name(), html=Markup(figure.html.render()),
                    script=Markup(figure.script.render()))


# --- the dispatch board ------------------------------------------------------------------------

CLUSTER_OPTIONS = {"chunkedLoading": True, "showCoverageOnHover": False,
                   "maxClusterRadius": 50, "disableClusteringAtZoom": 18}
PLACE_CLUSTER_OPTIONS = {"showCoverageOnHover": False, "maxClusterRadius": 40}
# Awesome-markers colour and Font Awesome icon of each kind of service point.
SERVICE_POINT_ICONS = {
    "rest_station": ("orange", "mug-hot"),
    "studio": ("darkblue", "building"),
    "community_centre": ("cadetblue", "house"),
    "elder_canteen": ("darkgreen", "utensils"),
    "charging_pile": ("purple", "bolt"),
    "home_care_station": ("pink", "hand-holding-heart"),
}


@dataclass(frozen=True)
class BoardEmbed:
    map: MapEmbed
    cluster: str  # the JavaScript variable of the (empty) marker cluster the cases go into
    heat: str  # the JavaScript variable of the feature group the heat layer goes into


def _lines(*parts: object) -> Markup:
    """Tooltip HTML from text lines, each escaped, the first in bold; only the tags are ours."""
    escaped = [safe_text(part) for part in parts if part not in (None, "")]
    if escaped:
        escaped[0] = Markup("<b>") + escaped[0] + Markup("</b>")
    return Markup("<br>").join(escaped)


def board_map(centre: tuple[float, float], *, teams: Sequence[Any],
              volunteers: Sequence[Any], volunteers_total: int, points: Sequence[Any],
              zoom: int = 14) -> BoardEmbed:
    """The board's Folium map: the tiles, an empty cluster for the cases (filled by
    ``static/js/board.js`` from the GeoJSON endpoint), an empty heat group, and small layers
    of teams, on-duty volunteers and service points, all under one layer control."""
    crs = tile_crs()
    fmap = base_map(*centre, zoom=zoom)
    for child in fmap._children.values():
        if isinstance(child, folium.TileLayer):
            child.control = False  # one base layer: nothing to choose
    cluster = MarkerCluster(name=_("Open cases"), options=CLUSTER_OPTIONS).add_to(fmap)
    heat = folium.FeatureGroup(name=_("Heat map: last 90 days"), show=False).add_to(fmap)

    # Tooltips only, no popups: Folium compiles every element it renders as a template, so
    # each one costs about a millisecond; the volunteers, who may be many, are one GeoJSON.
    # Teams and service points share one cluster (two layers of it), so neighbours of either
    # kind group instead of one marker half hiding another: too small a target (WCAG 2.5.8).
    places = MarkerCluster(control=False, options=PLACE_CLUSTER_OPTIONS).add_to(fmap)
    team_layer = FeatureGroupSubGroup(places, name=_("Teams")).add_to(fmap)
    for team in teams:
        duty = _("On duty") if team.on_duty else _("Not on duty")
        folium.Marker(
            list(to_display(team.latitude, team.longitude, crs)),
            tooltip=folium.Tooltip(_lines(team.name, duty, _("%(n)d open cases", n=team.load))),
            icon=folium.Icon(color="green" if team.on_duty else "gray", icon="users",
                             prefix="fa"),
            title=js_text(f"{team.name} · {duty}"),
            z_index_offset=-500,  # under the cases
        ).add_to(team_layer)

    shown = len(volunteers)
    name = _("On-duty volunteers") if shown == volunteers_total else _(
        "On-duty volunteers (%(shown)d of %(total)d)", shown=shown, total=volunteers_total)
    volunteer_layer = folium.FeatureGroup(name=name).add_to(fmap)
    if volunteers:
        features = []
        for volunteer in volunteers:
            lat, lon = to_display(volunteer.latitude, volunteer.longitude, crs)
            # GeoJsonTooltip puts the value in as HTML: it is escaped here.
            label = _lines(volunteer.name, volunteer.team)
            features.append({"type": "Feature", "properties": {"label": str(label)},
                             "geometry": {"type": "Point", "coordinates": [lon, lat]}})
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features}, control=False,
            marker=folium.CircleMarker(radius=6, color="#6f42c1", weight=2, fill=True,
                                       fill_color="#d2b9f7", fill_opacity=0.9),
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(volunteer_layer)

    point_layer = FeatureGroupSubGroup(places, name=_("Service points")).add_to(fmap)
    for point in points:
        colour, icon = SERVICE_POINT_ICONS.get(str(point.kind), ("blue", "location-dot"))
        folium.Marker(
            list(to_display(point.latitude, point.longitude, crs)),
            tooltip=folium.Tooltip(_lines(point.name, point.kind.label, point.address)),
            icon=folium.Icon(color=colour, icon=icon, prefix="fa"),
            title=js_text(f"{point.name} · {point.kind.label}"),
            z_index_offset=-1000,
        ).add_to(point_layer)

    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    return BoardEmbed(embed(fmap), cluster.get_name(), heat.get_name())
