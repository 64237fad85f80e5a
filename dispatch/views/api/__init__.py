"""The JSON API: /api (a few read-only endpoints for the pages' own scripts, no personal
data) and /api/v1 (staff tools, described by OpenAPI 3.1 at /api/v1/openapi.json)."""

from dispatch.views.api import cases, directory, places, shifts, v1
from dispatch.views.api.blueprint import bp

bp.register_blueprint(v1.bp)

__all__ = ["bp", "cases", "directory", "places", "shifts", "v1"]
