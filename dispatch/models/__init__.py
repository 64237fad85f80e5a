"""All models, importable from one place (Alembic and the CLI need them registered)."""

from dispatch.models import ledger_guard, spatial_index  # noqa: F401 (DDL events)
from dispatch.models.api_clients import ApiClient
from dispatch.models.base import utcnow
from dispatch.models.case import Case, CaseEvent, CasePhoto, Category, Supporter
from dispatch.models.desk import DutyShift, ImportBatch, LedgerExport
from dispatch.models.joining import (
    ApplicationStatus,
    AuditEntry,
    OneTimeLink,
    VolunteerApplication,
)
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
from dispatch.models.reception import ReceptionSession, ReceptionVisit, VisitOutcome
from dispatch.models.replies import ReplyTemplate
from dispatch.models.shifts import (
    Availability,
    CalendarFeed,
    Shift,
    ShiftSignup,
    ShiftState,
    SignupState,
)
from dispatch.models.tokens import ApiToken
from dispatch.models.vocabulary import (
    OPEN_STATUSES,
    Action,
    AssignmentStatus,
    CaseKind,
    CaseStatus,
    ClockUnit,
    IntakeChannel,
    Outcome,
    PhotoStage,
)
from dispatch.models.worklog import LogKind, WorkLogEntry

LedgerIsAppendOnly = ledger_guard.LedgerIsAppendOnly

__all__ = [
    "OPEN_STATUSES", "Action", "ApiClient", "ApiToken", "ApplicationStatus", "AuditEntry",
    "OneTimeLink", "VolunteerApplication", "AssignmentStatus", "Availability", "CalendarFeed",
    "Shift", "ShiftSignup", "ShiftState", "SignupState", "Case", "CaseEvent", "CaseKind",
    "CasePhoto", "CaseStatus", "Category", "Channel", "ClockUnit", "Household", "Pairing",
    "Visit", "DutyShift", "ImportBatch", "InboxMessage", "IntakeChannel",
    "LedgerExport", "Notification", "Landmark", "LandmarkKind", "LedgerIsAppendOnly", "Outcome",
    "PhotoStage", "ReceptionSession", "ReceptionVisit", "Region", "ReplyTemplate", "Role",
    "ServicePoint",
    "ServicePointKind", "Studio", "Supporter", "Team", "User", "VisitOutcome", "VolunteerProfile",
    "utcnow", "LogKind", "WorkLogEntry",
]
