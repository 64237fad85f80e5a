"""All models, importable from one place (Alembic and the CLI need them registered)."""

from dispatch.models import ledger_guard
from dispatch.models.base import utcnow
from dispatch.models.case import (
    AssignmentStatus,
    Case,
    CaseEvent,
    CaseKind,
    CaseStatus,
    Category,
    Outcome,
)
from dispatch.models.people import Role, Team, User, VolunteerProfile
from dispatch.models.places import Region, ServicePoint, ServicePointKind, Studio

LedgerIsAppendOnly = ledger_guard.LedgerIsAppendOnly

__all__ = [
    "AssignmentStatus", "Case", "CaseEvent", "CaseKind", "CaseStatus", "Category",
    "LedgerIsAppendOnly", "Outcome", "Region", "Role", "ServicePoint", "ServicePointKind",
    "Studio", "Team", "User", "VolunteerProfile", "utcnow",
]
