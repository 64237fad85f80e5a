"""Distances on the earth (geopy), for choosing nearest studios and responders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from geopy.distance import geodesic


class Located(Protocol):
    latitude: float
    longitude: float


T = TypeVar("T", bound=Located)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(geodesic((lat1, lon1), (lat2, lon2)).meters)


def nearest(items: Iterable[T], latitude: float, longitude: float) -> T | None:
    return min(items, key=lambda item: distance_m(latitude, longitude,
                                                  item.latitude, item.longitude),
               default=None)
