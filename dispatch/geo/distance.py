"""Distances on the earth (geopy), for choosing nearest studios and responders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from geopy.distance import geodesic, great_circle


class Located(Protocol):
    latitude: float
    longitude: float


T = TypeVar("T", bound=Located)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Exact distance on the WGS-84 ellipsoid (for what is shown and stored)."""
    return float(geodesic((lat1, lon1), (lat2, lon2)).meters)


def quick_distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance: within 0.5 % of the exact one and several times faster,
    for ranking many candidates (look-alikes, nearest studio, claimable work)."""
    return float(great_circle((lat1, lon1), (lat2, lon2)).meters)


def nearest(items: Iterable[T], latitude: float, longitude: float) -> T | None:
    return min(items, key=lambda item: quick_distance_m(latitude, longitude,
                                                        item.latitude, item.longitude),
               default=None)
