"""Everything a resident sees, signed in or not: one blueprint for all of it."""

from dispatch.views.public import calendar, home, joining, report, wall
from dispatch.views.public.blueprint import bp

__all__ = ["bp", "calendar", "home", "joining", "report", "wall"]
