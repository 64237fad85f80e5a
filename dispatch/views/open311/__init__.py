"""Open311 GeoReport v2 (/open311/v2/) and its discovery document, for outside systems."""

from dispatch.views.open311 import filing, routes
from dispatch.views.open311.blueprint import bp

__all__ = ["bp", "filing", "routes"]
