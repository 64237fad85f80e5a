"""Folium map builders: plain data in, HTML and script out, every user string escaped.

Folium points its JavaScript and CSS at CDNs; ``use_local_assets`` rebinds them once to the
copies under ``static/vendor/`` so that pages work offline (map tiles excepted). Pages embed
a map as three parts (the div, the script, and the asset links from ``map_assets`` in
``_macros.html``) instead of Folium's whole-document output.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
from flask import current_app
from markupsafe import Markup, escape

from dispatch.coords import TileCRS, to_display

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


def use_local_assets() -> None:
    folium.Map.default_js = LOCAL_JS
    folium.Map.default_css = LOCAL_CSS


def safe_text(text: object) -> Markup:
    """Escape user text for a Folium popup or tooltip.

    Folium puts popup and tooltip HTML inside JavaScript template literals, so besides
    HTML escaping, a backtick, ``${`` or a backslash could end the literal or run code.
    """
    escaped = str(escape(str(text)))
    for char, entity in (("`", "&#96;"), ("$", "&#36;"), ("\\", "&#92;")):
        escaped = escaped.replace(char, entity)
    return Markup(escaped)


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
    ).add_to(fmap)


def add_circle(fmap: folium.Map, latitude: float, longitude: float, radius_m: float,
               tooltip: str = "") -> None:
    lat, lon = to_display(latitude, longitude, tile_crs())
    folium.Circle([lat, lon], radius=radius_m, color="#fa9d3b", fill=True, fill_opacity=0.2,
                  tooltip=folium.Tooltip(safe_text(tooltip)) if tooltip else None).add_to(fmap)


def embed(fmap: folium.Map) -> MapEmbed:
    figure = fmap.get_root()
    figure.render()
    return MapEmbed(name=fmap.get_name(), html=Markup(figure.html.render()),
                    script=Markup(figure.script.render()))
