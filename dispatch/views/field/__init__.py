"""Field work on the phone: volunteers' and captains' work, claims, team and profile."""

from dispatch.views.field import joining, pairings, shifts, work
from dispatch.views.field.blueprint import bp

__all__ = ["bp", "joining", "pairings", "shifts", "work"]
