"""Open311 GeoReport v2, write side: a client files a service request.

The same filing service as the public report form (``intake/filing.py:file_report``), so
the service area, the phone check, the register step, its ledger line and the studio's
notifications are exactly those of /report. Photos are not fetched from ``media_url``:
fetching a URL a client names would let it make this server reach anywhere.

The token returned to the client is the case's submission token: ``o311-<client id>-``
and 128 random bits, so the case row keeps which client filed it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import ApiClient, Case, CaseKind
from dispatch.services.errors import InvalidInput, NotFound
from dispatch.services.intake.filing import NewReport, file_report
from dispatch.services.intake.places import search_places
from dispatch.services.open_data.georeport import category_by_code

TOKEN_PREFIX = "o311-"
MAX_DESCRIPTION = 4000
KINDS = {"hazard": CaseKind.HAZARD, "wish": CaseKind.WISH}


@dataclass
class ServiceRequest:
    """What a POST to requests carries, parsed (coordinates are numbers or None)."""

    service_code: str
    description: str = ""
    latitude: float | None = None
    longitude: float | None = None
    address_string: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Filed:
    case: Case
    token: str


def _place(request: ServiceRequest) -> tuple[float, float, str]:
    if (request.latitude is None) != (request.longitude is None):
        raise InvalidInput("lat", _("Give both lat and long, or neither."))
    address = request.address_string.strip()[:255]
    if request.latitude is not None and request.longitude is not None:
        return request.latitude, request.longitude, address
    if not address:
        raise InvalidInput("lat", _("A location is required: lat and long, or "
                                    "address_string."))
    matches = [m for m in search_places(address, limit=1)]
    if not matches:
        raise InvalidInput("address_string", _("No place of that name is known here; "
                                                "please send lat and long."))
    return matches[0].latitude, matches[0].longitude, address


def file_request(client: ApiClient, request: ServiceRequest) -> Filed:
    """登记 through Open311. Flushes; the caller commits."""
    category = category_by_code(request.service_code)
    kind = KINDS.get((request.attributes.get("kind") or "hazard").strip().lower())
    if kind is None:
        raise InvalidInput("attribute[kind]", _("attribute[kind] must be hazard or wish."))
    if not request.description.strip():
        raise InvalidInput("description", _("Please describe the problem."))
    if len(request.description) > MAX_DESCRIPTION:
        raise InvalidInput("description", _("At most %(n)d characters.", n=MAX_DESCRIPTION))
    latitude, longitude, address = _place(request)
    name = " ".join(part for part in (request.first_name.strip(), request.last_name.strip())
                    if part)[:60] or None
    token = f"{TOKEN_PREFIX}{client.id}-{secrets.token_urlsafe(16)}"
    case = file_report(NewReport(
        kind=kind, category=category, description=request.description,
        latitude=latitude, longitude=longitude, submission_token=token,
        title=(request.attributes.get("title") or "")[:120], address=address,
        reporter_name=name, reporter_phone=request.phone or None))
    return Filed(case, token)


def case_by_token(token: str) -> Case:
    """The case an Open311 token filed (only tokens this API handed out)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 64:
        raise NotFound()
    case = db.session.scalar(select(Case).where(Case.submission_token == token))
    if case is None:
        raise NotFound()
    return case
