"""All models, importable from one place (Alembic and the CLI need them registered)."""

from dispatch.models import ledger_guard
from dispatch.models.base import utcnow
from dispatch.models.case import Case, CaseEvent, CasePhoto, Category, Supporter
from dispatch.models.desk import DutyShift, ImportBatch, LedgerExport
from dispatch.models.notify import Channel, InboxMessage, Notification
from dispatch.models.pairings import Household, Pairing, Visit
from dispatch.models.people import Role, Team, User, VolunteerProfile
from dispatch.models.places import (
    Landmark,
    LandmarkKind,
    Region,
    ServicePoint,
    ServicePointKind,
    Studio,
)
from dispatch.models.shifts import (
    Availability,
    CalendarFeed,
    Shift,
    ShiftSignup,
    ShiftState,
    SignupState,
)
from dispatch.models.vocabulary import (
    OPEN_STATUSES,
    Action,
    AssignmentStatus,
    CaseKind,
    CaseStatus,
    Outcome,
    PhotoStage,
)
from dispatch.models.worklog import LogKind, WorkLogEntry

LedgerIsAppendOnly = ledger_guard.LedgerIsAppendOnly

__all__ = [
    "OPEN_STATUSES", "Action", "AssignmentStatus", "Availability", "CalendarFeed", "Shift",
    "ShiftSignup", "ShiftState", "SignupState", "Case", "CaseEvent", "CaseKind", "CasePhoto",
    "CaseStatus", "Category", "Channel", "Household", "Pairing", "Visit", "DutyShift",
    "ImportBatch", "InboxMessage",
    "LedgerExport", "Notification", "Landmark", "LandmarkKind", "LedgerIsAppendOnly", "Outcome",
    "PhotoStage", "Region", "Role", "ServicePoint", "ServicePointKind", "Studio", "Supporter",
    "Team", "User", "VolunteerProfile", "utcnow", "LogKind", "WorkLogEntry",
]
