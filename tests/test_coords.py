"""WGS-84 ⇄ GCJ-02: published reference values, exact round trips, and the identity cases."""

from __future__ import annotations

import pytest
from geopy.distance import geodesic

from dispatch.geo.coords import (
    TileCRS,
    from_display,
    gcj02_to_wgs84,
    in_mainland_china,
    to_display,
    wgs84_to_gcj02,
)

# (wgs_lat, wgs_lon, gcj_lat, gcj_lon): the test vectors of eviltransform
# (github.com/googollee/eviltransform, go/transform_test.go and python/test.py), which its
# implementations in every language check against. They agree with our Krasovsky constants to
# the last printed digit.
PUBLISHED = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]

DEMO_REGIONS = {
    "Xiamen Haicang": (24.48, 118.03),
    "Xiangtan": (27.86, 112.95),
    "Xuchang": (34.03, 113.83),
    "Jinjiang": (24.81, 118.58),
    "Taishan": (22.25, 112.79),
}

OUTSIDE_CHINA = [(51.5, -0.12), (40.7128, -74.006), (-33.87, 151.21), (60.17, 24.94)]


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), PUBLISHED)
def test_forward_matches_published_vectors(wgs_lat: float, wgs_lon: float,
                                           gcj_lat: float, gcj_lon: float) -> None:
    lat, lon = wgs84_to_gcj02(wgs_lat, wgs_lon)
    assert lat == pytest.approx(gcj_lat, abs=1e-6)
    assert lon == pytest.approx(gcj_lon, abs=1e-6)


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), PUBLISHED)
def test_inverse_matches_published_vectors(wgs_lat: float, wgs_lon: float,
                                           gcj_lat: float, gcj_lon: float) -> None:
    lat, lon = gcj02_to_wgs84(gcj_lat, gcj_lon)
    # The GCJ-02 values carry full double precision, so an exact inverse recovers the WGS-84
    # input to ~1e-14; the common one-step inverse misses by up to 1.4e-5 degrees (about 2 m).
    assert lat == pytest.approx(wgs_lat, abs=1e-9)
    assert lon == pytest.approx(wgs_lon, abs=1e-9)


@pytest.mark.parametrize(("lat", "lon"), DEMO_REGIONS.values(), ids=DEMO_REGIONS.keys())
def test_round_trip_in_demo_regions_is_exact(lat: float, lon: float) -> None:
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon))
    assert abs(back[0] - lat) < 1e-7
    assert abs(back[1] - lon) < 1e-7
    # And the other way round: a point picked on GCJ-02 tiles survives storage and redisplay.
    again = wgs84_to_gcj02(*gcj02_to_wgs84(lat, lon))
    assert abs(again[0] - lat) < 1e-7
    assert abs(again[1] - lon) < 1e-7


@pytest.mark.parametrize(("lat", "lon"), DEMO_REGIONS.values(), ids=DEMO_REGIONS.keys())
def test_offset_in_china_is_a_few_hundred_metres(lat: float, lon: float) -> None:
    assert in_mainland_china(lat, lon)
    offset_m = geodesic((lat, lon), wgs84_to_gcj02(lat, lon)).meters
    assert 100 < offset_m < 700


@pytest.mark.parametrize(("lat", "lon"), OUTSIDE_CHINA)
def test_points_outside_china_are_unchanged(lat: float, lon: float) -> None:
    assert not in_mainland_china(lat, lon)
    assert wgs84_to_gcj02(lat, lon) == (lat, lon)
    assert gcj02_to_wgs84(lat, lon) == (lat, lon)
    assert to_display(lat, lon, TileCRS.GCJ02) == (lat, lon)
    assert from_display(lat, lon, TileCRS.GCJ02) == (lat, lon)


@pytest.mark.parametrize(("lat", "lon"), [*DEMO_REGIONS.values(), *OUTSIDE_CHINA])
def test_wgs84_tiles_are_the_identity(lat: float, lon: float) -> None:
    assert to_display(lat, lon, TileCRS.WGS84) == (lat, lon)
    assert from_display(lat, lon, TileCRS.WGS84) == (lat, lon)


def test_gcj02_tiles_convert_for_display_and_back() -> None:
    lat, lon = DEMO_REGIONS["Xiamen Haicang"]
    shown = to_display(lat, lon, TileCRS.GCJ02)
    assert shown == wgs84_to_gcj02(lat, lon)
    assert shown != (lat, lon)
    stored = from_display(*shown, TileCRS.GCJ02)
    assert stored == pytest.approx((lat, lon), abs=1e-9)


def test_crs_accepts_config_strings_and_rejects_unknown_ones() -> None:
    lat, lon = DEMO_REGIONS["Xuchang"]
    assert to_display(lat, lon, "gcj02") == to_display(lat, lon, TileCRS.GCJ02)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        to_display(lat, lon, "bd09")  # type: ignore[arg-type]
