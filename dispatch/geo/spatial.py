"""Points near a point, through the spatial index of whichever database this is: the one
interface for the look-alike cases within 150 m, the nearest suitable responders and the
open wishes near a volunteer.

``nearest(points, query, lat, lon, limit=…, within_m=…)`` takes a SELECT whose first column
is the id of a point table (``models/spatial_index.py``: cases, volunteer profiles) with the
caller's joins and filters, and returns the rows nearest first, each with its distance. The
backends only choose *which rows to read*; the distance, the radius test and the order are
then computed here, in Python, on one sphere, for every backend alike: so all backends give
the same answer (``tests/test_spatial.py`` runs them side by side on the same data):

* ``rtree`` (SQLite): a box around the circle from the R*Tree, widened (at most ×3) until the
  ``limit`` nearest are provably inside the circle the box holds;
* ``postgis``: ``ORDER BY geography <-> point`` (a GiST k-nearest-neighbour scan) and
  ``ST_DWithin`` for a radius, through GeoAlchemy2;
* ``earth`` (PostgreSQL without PostGIS): the same with ``cube``'s ``<->`` on
  ``ll_to_earth`` (the chord through the earth, which orders like the arc) and ``earth_box``;
* ``scan``: read every row and sort (no index; the reference the others are checked against).
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import Float, Integer, Select, bindparam, func, literal_column, text
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.orm import Session

from dispatch.models.spatial_index import PointTable, installed_extension

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (PostGIS's sphere too)
BACKENDS = ("rtree", "postgis", "earth", "scan")
FIRST_BOX_M = 500.0  # the R*Tree's first box for a k-nearest search, then ×3
SLACK = 4  # extra rows a k-nearest index scan reads, so that ties at the edge sort alike
MARGIN = 1.01  # a radius given to the database is widened so; Python then cuts exactly

_detected: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Hit:
    id: int
    distance_m: float
    row: Row[Any]  # the query's columns, then latitude and longitude


def sphere_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on the mean sphere (haversine), in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi, half_dlam = (phi2 - phi1) / 2, math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlam) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def detect(connection: Connection) -> str:
    """Which backend this database offers (what its schema was built with)."""
    if connection.dialect.name == "sqlite":
        found = connection.execute(text(
            "SELECT 1 FROM sqlite_master WHERE name = 'cases_rtree'")).scalar()
        return "rtree" if found else "scan"
    if connection.dialect.name == "postgresql":
        extension = installed_extension(connection)
        return {"postgis": "postgis", "earthdistance": "earth"}.get(extension or "", "scan")
    return "scan"


def backend_of(session: Session) -> str:
    engine = session.get_bind().engine
    if engine not in _detected:
        _detected[engine] = detect(session.connection())
    return _detected[engine]


def nearest(session: Session, points: PointTable, query: Select[Any], latitude: float,
            longitude: float, *, limit: int | None = None, within_m: float | None = None,
            using: str | None = None, keep: bool = False) -> list[Hit]:
    """The rows of ``query`` nearest to the point first (ties by id), at most ``limit``,
    none farther than ``within_m``; rows without a point are never returned.

    The statements derived from ``query`` take the point, box, radius and limit as bound
    parameters; with ``keep`` they are kept (:func:`_prepared`), for a caller that passes the
    same query object each time (built once, at module level): it pays for building them
    once, not per call. A query built per call gains nothing from being kept."""
    if limit is None and within_m is None:
        raise ValueError("a limit, a radius or both")
    backend = using or backend_of(session)
    if backend not in BACKENDS:
        raise ValueError(f"unknown spatial backend {backend!r}")
    statement = _prepared(points, query, backend, limit is not None, keep)
    if backend == "rtree":
        return _rtree(session, statement, query_with_point(points, query), latitude,
                      longitude, limit, within_m)
    params: dict[str, Any] = {}
    if backend in ("postgis", "earth"):
        params = {"here_lat": latitude, "here_lon": longitude,
                  "radius_m": (within_m or 0.0) * MARGIN}
        if limit is not None:
            params["k"] = limit + SLACK
    return _ranked(session.execute(statement, params).all(), latitude, longitude, limit,
                   within_m)


def query_with_point(points: PointTable, query: Select[Any]) -> Select[Any]:
    """``query`` with the latitude and longitude last, rows without a point left out."""
    return query.add_columns(points.latitude, points.longitude).where(
        points.latitude.is_not(None), points.longitude.is_not(None))


_PREPARED: OrderedDict[tuple[Any, ...], Select[Any]] = OrderedDict()
_PREPARED_LOCK = threading.Lock()
PREPARED_KEPT = 64  # statements kept (``keep``), least recently used dropped


def _prepared(points: PointTable, query: Select[Any], backend: str,
              knn: bool, keep: bool = False) -> Select[Any]:
    key = (points.table, query, backend, knn)  # the query by identity: kept alive here
    if keep:
        with _PREPARED_LOCK:  # requests in threads share the cache
            found = _PREPARED.get(key)
            if found is not None:
                _PREPARED.move_to_end(key)
                return found
    statement = query_with_point(points, query)
    if backend == "rtree":
        tree = points.rtree.c
        statement = statement.join(points.rtree, tree.id == points.id).where(
            tree.max_lat >= bindparam("south"), tree.min_lat <= bindparam("north"),
            tree.max_lon >= bindparam("west"), tree.min_lon <= bindparam("east"))
    elif backend in ("postgis", "earth"):
        statement = _knn(backend, points, statement, knn)
    if keep:
        with _PREPARED_LOCK:
            _PREPARED[key] = statement
            if len(_PREPARED) > PREPARED_KEPT:
                _PREPARED.popitem(last=False)
    return statement


def _ranked(rows: Sequence[Row[Any]], latitude: float, longitude: float, limit: int | None,
            within_m: float | None) -> list[Hit]:
    hits = [Hit(row[0], sphere_m(latitude, longitude, row[-2], row[-1]), row) for row in rows]
    if within_m is not None:
        hits = [hit for hit in hits if hit.distance_m <= within_m]
    hits.sort(key=lambda hit: (hit.distance_m, hit.id))
    return hits if limit is None else hits[:limit]


def _knn(backend: str, points: PointTable, query: Select[Any], knn: bool) -> Select[Any]:
    lat = bindparam("here_lat", type_=Float)
    lon = bindparam("here_lon", type_=Float)
    if backend == "postgis":
        # Spelt as the index is (models/spatial_index.py GEOGRAPHY_SQL), so the planner uses it.
        # geography(x) is the planner's x::geography (a cast without a type modifier:
        # GeoAlchemy2's cast would add one and miss the index).
        here = func.geography(func.ST_SetSRID(
            func.ST_MakePoint(points.longitude, points.latitude), literal_column("4326")),
            type_=Geography)
        there = func.geography(func.ST_SetSRID(func.ST_MakePoint(lon, lat),
                                               literal_column("4326")), type_=Geography)
        order = here.distance_centroid(there)  # <->
        near = func.ST_DWithin(here, there, bindparam("radius_m", type_=Float))
    else:
        here, there = (func.ll_to_earth(points.latitude, points.longitude),
                       func.ll_to_earth(lat, lon))
        order = here.op("<->")(there)
        near = func.earth_box(there, bindparam("radius_m", type_=Float)).op("@>")(here)
    if knn:
        # k nearest: the index's ordered scan alone, cut to the radius afterwards (in
        # ``_ranked``). A radius test beside it makes the planner guess how many rows pass
        # it, and a wrong guess (it has no statistics for a circle) trades the k-nearest
        # scan for reading every row in the circle and sorting them.
        return query.order_by(order).limit(bindparam("k", type_=Integer))
    return query.where(near).order_by(order)


def _box(latitude: float, radius_m: float) -> tuple[float, float]:
    """Half the height and width, in degrees, of a box holding the circle."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    edge = abs(latitude) + dlat
    if edge >= 89.9:
        return dlat, 360.0
    return dlat, min(360.0, dlat / math.cos(math.radians(edge)))


def _rtree(session: Session, statement: Select[Any], whole: Select[Any], latitude: float,
           longitude: float, limit: int | None, within_m: float | None) -> list[Hit]:
    widest = within_m if within_m is not None else math.pi * EARTH_RADIUS_M
    radius = widest if limit is None else min(FIRST_BOX_M, widest)
    while True:
        dlat, dlon = _box(latitude, radius)
        if dlat >= 90 and dlon >= 360:  # the whole earth: no box is narrower than a scan
            rows = session.execute(whole).all()
        else:
            rows = session.execute(statement, {
                "south": latitude - dlat, "north": latitude + dlat,
                "west": longitude - dlon, "east": longitude + dlon}).all()
        # The box holds the circle of ``radius``: every row inside that circle was read.
        hits = _ranked(rows, latitude, longitude, None, radius)
        if radius >= widest or (limit is not None and len(hits) >= limit):
            return hits if limit is None else hits[:limit]
        radius = min(_wider(radius, len(hits), limit), widest)


def _wider(radius: float, found: int, limit: int | None) -> float:
    """The next box: ×3, or less when the circle already held most of what is wanted
    (the rows grow with the area: reading nine times as many to find a few more is the
    costliest step of a k-nearest search)."""
    if limit is None or found == 0:
        return radius * 3
    return radius * min(3.0, max(1.5, 1.25 * math.sqrt(limit / found)))
