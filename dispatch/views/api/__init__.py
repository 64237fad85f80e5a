"""A small JSON API for the pages' own scripts. Read-only, no personal data."""

from dispatch.views.api import places, shifts
from dispatch.views.api.blueprint import bp

__all__ = ["bp", "places", "shifts"]
