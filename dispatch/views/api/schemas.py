"""The shapes of /api/v1, declared once as pydantic models: spectree validates every
request and response against them and writes them into the OpenAPI 3.1 document
(pydantic's JSON Schema is the 2020-12 dialect OpenAPI 3.1 uses).

Text fields refuse control characters (a NUL cannot be stored), numbers are bounded (ids
fit an INTEGER column, coordinates are finite and on the globe)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel

from dispatch.views.params import MAX_ID

# C0 controls but tab and line breaks, DEL, and lone surrogates (no database stores them).
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _clean(text: str) -> str:
    if UNSTORABLE.search(text):
        raise ValueError("control characters (such as NUL) are not allowed")
    return text


def Text(max_length: int, min_length: int = 0) -> object:  # noqa: N802 (a type)
    return Annotated[str, Field(min_length=min_length, max_length=max_length),
                     AfterValidator(_clean)]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_ID, description="The case's version the client "
                                                            "saw; another one gives 409.")]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Status = Literal["registered", "received", "handling", "replied", "feedback", "archived"]
Kind = Literal["hazard", "wish", "inspection"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of /api/v1."""

    status: int
    message: str
    errors: list[dict[str, object]] | None = None


# --- Cases

class CaseQuery(Strict):
    status: Status | None = None
    kind: Kind | None = None
    category_id: Id | None = None
    studio_id: Id | None = None
    overdue: bool = False
    q: Text(100) = ""  # type: ignore[valid-type]
    limit: int = Field(20, ge=1, le=100, description="Cases per page (1–100).")
    cursor: str | None = Field(None, pattern=r"^[0-9]{1,10}$", description=(
        "The next_cursor of the previous page; absent for the first page."))


class CaseOut(BaseModel):
    id: int
    tracking_code: str
    kind: str
    title: str
    description: str
    category_id: int
    category: str
    status: str
    status_label: str
    assignment_status: str | None
    version: int
    latitude: float
    longitude: float
    location_exact: bool = Field(description="False: a micro-wish's point blurred to ~100 m.")
    address: str
    studio_id: int | None
    assignee: str | None
    reporter_name: str | None
    reporter_phone: str | None = Field(description="Masked (138****5678) unless the reader "
                                                   "may call the resident.")
    overdue: bool
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    reply_text: str | None
    url: str


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None


class NewCase(Strict):
    kind: Literal["hazard", "wish"]
    category_id: Id
    description: Text(2000, 1)  # type: ignore[valid-type]
    latitude: Latitude
    longitude: Longitude
    title: Text(120) = ""  # type: ignore[valid-type]
    address: Text(255) = ""  # type: ignore[valid-type]
    reporter_name: Text(60) | None = None  # type: ignore[valid-type]
    reporter_phone: Text(20) | None = None  # type: ignore[valid-type]
    wants_updates: bool = False
    idempotency_key: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{16,64}$", description=(
        "Sent again with a retried request, files the case once."))


# --- Actions

class ConflictBody(ErrorBody):
    """409: the step is not possible now; after a version mismatch, the case as it is."""

    case: CaseOut | None = None


class ActionOut(BaseModel):
    action: str
    label: str
    danger: bool
    fields: list[str]


class ActionList(RootModel[list[ActionOut]]):
    pass


class ActionIn(Strict):
    """The action's form fields, as the desk and the phone pages post them."""

    version: Version
    note: Text(2000) | None = None  # type: ignore[valid-type]
    assignee: str | None = Field(None, pattern=r"^(team|user):[0-9]{1,10}$", description=(
        "A key from the case's suggested responders, e.g. team:3 or user:7."))
    template: Text(40) | None = None  # type: ignore[valid-type]
    text: Text(4000) | None = None  # type: ignore[valid-type]
    satisfied: bool | None = None
    rating: int | None = Field(None, ge=1, le=5)
    fixed: bool | None = None
    comment: Text(2000) | None = None  # type: ignore[valid-type]
    original: Text(16) | None = None  # type: ignore[valid-type]
    reason: Text(255) | None = None  # type: ignore[valid-type]
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class EventOut(BaseModel):
    seq: int
    action: str
    action_label: str
    actor_role: str
    actor_name: str
    from_status: str | None
    to_status: str
    note: str
    internal: bool
    created_at: datetime


class EventList(RootModel[list[EventOut]]):
    pass


class ResponderOut(BaseModel):
    key: str = Field(description="What an assign or reassign action takes as assignee.")
    name: str
    is_team: bool
    distance_m: float
    skills: list[str]
    on_duty: bool
    open_work: int
    score: float
    reason: str


class ResponderList(RootModel[list[ResponderOut]]):
    pass


# --- The directory: teams, service points, claims

class TeamOut(BaseModel):
    id: int
    code: str
    name: str
    studio_id: int | None
    region_id: int
    active: bool
    skills: list[str]
    latitude: float
    longitude: float


class TeamList(RootModel[list[TeamOut]]):
    pass


class ServicePointOut(BaseModel):
    id: int
    code: str
    kind: str
    kind_label: str
    name: str
    address: str
    latitude: float
    longitude: float
    open_24h: bool
    opening_hours: dict[str, str]


class ServicePointList(RootModel[list[ServicePointOut]]):
    pass


class ClaimOut(BaseModel):
    case_id: int
    tracking_code: str
    title: str
    holder: str
    claimed_at: datetime
    expires_at: datetime | None
    extended: bool


class ClaimList(RootModel[list[ClaimOut]]):
    pass
