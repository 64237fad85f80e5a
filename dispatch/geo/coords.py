"""WGS-84 ⇄ GCJ-02 ("Mars coordinates") conversion.

Map tiles from AMap (Gaode) and Tencent in mainland China are drawn in GCJ-02, a deliberately
obfuscated datum that is offset from WGS-84 by a few hundred metres. We always store WGS-84 (what
GPS receivers and OpenStreetMap use) and convert only at the edge: ``to_display`` before drawing a
stored point on a map, ``from_display`` when a user picks a point on that map.

The forward transform is the widely published one (as in eviltransform and coordtransform); its
constants describe the Krasovsky 1940 ellipsoid. The inverse has no closed form, so it is solved by
iteration rather than the common one-step approximation, which is only good to a few metres.
"""

from __future__ import annotations

import math
from enum import StrEnum

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323

# The conventional rough bounding box of mainland China used by every GCJ-02 implementation; it
# is deliberately crude (it also covers Taiwan, Korea, part of Japan and Mongolia), but matching
# it is what keeps us in agreement with the tiles.
_MIN_LON, _MAX_LON = 72.004, 137.8347
_MIN_LAT, _MAX_LAT = 0.8293, 55.8271

# 1e-10 degrees is about 0.01 mm; the iteration contracts by roughly 1000x per step, so it
# normally converges in 3-4 rounds and the cap only guards against pathological input.
_TOLERANCE_DEG = 1e-10
_MAX_ITERATIONS = 30


class TileCRS(StrEnum):
    """The datum a map's tiles are drawn in."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"


def in_mainland_china(lat: float, lon: float) -> bool:
    """Whether GCJ-02 applies here; outside the box GCJ-02 coordinates equal WGS-84."""
    return _MIN_LON <= lon <= _MAX_LON and _MIN_LAT <= lat <= _MAX_LAT


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _offset(lat: float, lon: float) -> tuple[float, float]:
    """The GCJ-02 offset (dlat, dlon) in degrees at a WGS-84 point, ignoring the China box."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    rad_lat = math.radians(lat)
    magic = 1.0 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    # The transforms yield metres; convert to degrees on the ellipsoid.
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlat, dlon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """Convert a WGS-84 point to GCJ-02 (the standard published algorithm)."""
    if not in_mainland_china(lat, lon):
        return lat, lon
    dlat, dlon = _offset(lat, lon)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Convert a GCJ-02 point back to WGS-84, exactly inverting ``wgs84_to_gcj02``.

    Fixed-point iteration on w = g - offset(w): the offset changes by only a few thousandths of a
    degree per degree, so each step shrinks the error about a thousandfold.
    """
    if not in_mainland_china(lat, lon):
        return lat, lon
    wgs_lat, wgs_lon = lat, lon
    for _ in range(_MAX_ITERATIONS):
        # Use the raw offset, not wgs84_to_gcj02, so a point near the box edge does not flip
        # between "shifted" and "unshifted" from one step to the next.
        dlat, dlon = _offset(wgs_lat, wgs_lon)
        err_lat = wgs_lat + dlat - lat
        err_lon = wgs_lon + dlon - lon
        wgs_lat -= err_lat
        wgs_lon -= err_lon
        if abs(err_lat) < _TOLERANCE_DEG and abs(err_lon) < _TOLERANCE_DEG:
            break
    return wgs_lat, wgs_lon


def to_display(lat: float, lon: float, crs: TileCRS) -> tuple[float, float]:
    """Stored (WGS-84) coordinates → where to draw them on a map with ``crs`` tiles."""
    # TileCRS(...) also accepts the plain string from config and rejects unknown values.
    if TileCRS(crs) is TileCRS.GCJ02:
        return wgs84_to_gcj02(lat, lon)
    return lat, lon


def from_display(lat: float, lon: float, crs: TileCRS) -> tuple[float, float]:
    """A point picked on a map with ``crs`` tiles → coordinates to store (WGS-84)."""
    if TileCRS(crs) is TileCRS.GCJ02:
        return gcj02_to_wgs84(lat, lon)
    return lat, lon
