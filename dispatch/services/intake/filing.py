"""Residents' reports: filing a case with its photos, look-alikes nearby, "me too", and
the resident's feedback key.

A report is one form with a hidden submission token: a double-tapped submit meets the
unique index on that token and lands on the case the first tap filed.

The tracking code is public (it is on every anonymous page); giving feedback needs the
feedback key, which only the link the resident gets after filing carries. The case keeps
its sha256 only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.geo import spatial
from dispatch.geo.distance import quick_distance_m
from dispatch.models import (
    OPEN_STATUSES,
    Case,
    CaseKind,
    CasePhoto,
    Category,
    IntakeChannel,
    PhotoStage,
    Region,
    Studio,
    Supporter,
)
from dispatch.models.spatial_index import CASE_POINTS
from dispatch.services.cases import lifecycle
from dispatch.services.cases.ledger import add_supporters
from dispatch.services.errors import IllegalTransition, InvalidInput
from dispatch.services.permissions import Actor
from dispatch.services.phones import normalise_phone
from dispatch.services.photos import (
    MAX_PHOTOS,
    StoredPhoto,
    accept_upload,
    discard_photos,
    upload_dir,
)

LOOKALIKE_RADIUS_M = 150
# A wish's public point is at most 0.0005° (of latitude and of longitude: ~71 m at the
# diagonal, at these latitudes) from where it is.
WISH_GRID_MARGIN_M = 80.0


def feedback_key(submission_token: str) -> str:
    """The resident's feedback key for the report filed by this form: 128 bits, an HMAC of
    the form's random token under the app's secret. Derived rather than drawn so that a
    double-tapped submit, whose second response is the one the browser shows, carries the
    same key as the first."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(),
                      b"feedback-key\0" + submission_token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def hash_feedback_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def holds_feedback_key(case: Case, key: str | None) -> bool:
    """Whether ``key`` is this case's feedback key (never for cases without one)."""
    if not case.feedback_key_hash or not key:
        return False
    return hmac.compare_digest(case.feedback_key_hash, hash_feedback_key(key))


# Statements every filing runs, built once per process (only their parameters change).
_REGION_CENTRES = select(Region.__table__.c.latitude, Region.__table__.c.longitude)
_CATEGORY_BY_CODE = select(Category).where(Category.code == bindparam("code"))


def within_service_area(latitude: float, longitude: float) -> bool:
    """Inside SERVICE_RADIUS_KM of one of the regions' centres (read as plain rows: only
    their coordinates are needed)."""
    limit_m = current_app.config["SERVICE_RADIUS_KM"] * 1000
    return any(quick_distance_m(latitude, longitude, centre_lat, centre_lon) <= limit_m
               for centre_lat, centre_lon in db.session.execute(_REGION_CENTRES))


def category_by_code(code: str | None) -> Category | None:
    """The category a form names (active or not: the caller checks that it fits)."""
    return db.session.scalar(_CATEGORY_BY_CODE, {"code": code}) if code else None


def lookalikes(category_id: int, latitude: float, longitude: float,
               radius_m: float = LOOKALIKE_RADIUS_M, limit: int = 5) -> list[tuple[Case, float]]:
    """Open cases of the same category within ``radius_m``, nearest first, with the distance
    to their public point (a wish's is blurred, and so is whether it is in range: else
    moving the query point would trace the edge of the circle around the exact one).

    The spatial index (``geo/spatial.py``) reads the nearest few (by the exact point) within
    the radius widened by the blur, so the cost stays the same however many reports a spot
    or the city collects."""
    query = select(Case.id).where(Case.category_id == category_id,
                                  Case.status.in_(OPEN_STATUSES))
    hits = spatial.nearest(db.session, CASE_POINTS, query, latitude, longitude,
                           limit=limit * 4, within_m=radius_m + WISH_GRID_MARGIN_M)
    cases = {c.id: c for c in db.session.scalars(select(Case).where(
        Case.id.in_([h.id for h in hits])))} if hits else {}
    near = [(cases[h.id], quick_distance_m(latitude, longitude, *cases[h.id].public_point))
            for h in hits]
    return sorted((pair for pair in near if pair[1] <= radius_m),
                  key=lambda p: (p[1], p[0].id))[:limit]


@dataclass
class NewReport:
    kind: CaseKind
    category: Category
    description: str
    latitude: float
    longitude: float
    submission_token: str
    title: str = ""
    address: str = ""
    reporter_name: str | None = None
    reporter_phone: str | None = None
    wants_updates: bool = False
    photos: list[BinaryIO] = field(default_factory=list)
    # The desk registering for a resident (walk-in, phone …); None: the resident's own form.
    actor: Actor | None = None
    channel: IntakeChannel = IntakeChannel.ONLINE
    studio: Studio | None = None  # None: the studio nearest to the place


def _title_from(description: str) -> str:
    first_line = description.strip().splitlines()[0] if description.strip() else ""
    return first_line[:24] + ("…" if len(first_line) > 24 else "")


def _existing(token: str) -> Case | None:
    return db.session.scalar(select(Case).where(Case.submission_token == token))


def filed_by(token: str) -> Case | None:
    """The case this form already filed, if any (a second submit goes to it)."""
    return _existing(token) if token else None


def file_report(report: NewReport) -> Case:
    """登记 from a resident. Returns the case the token already filed, if any (the unique
    index on the token decides; no look-up before the insert)."""
    if not within_service_area(report.latitude, report.longitude):
        raise InvalidInput("location", _("This place is outside the area our studios serve."))
    if len(report.photos) > MAX_PHOTOS:
        raise InvalidInput("photos", _("At most %(n)d photos.", n=MAX_PHOTOS))
    normalise_phone(report.reporter_phone)  # refuse a bad number before storing any photo
    stored: list[StoredPhoto] = []
    try:
        for upload in report.photos:
            stored.append(accept_upload(upload, upload_dir()))  # the worker re-encodes
        # Only the resident's own link carries a feedback key; in the case's own INSERT.
        key_hash = (hash_feedback_key(feedback_key(report.submission_token))
                    if report.actor is None else None)
        case = lifecycle.register(
            kind=report.kind, title=report.title.strip() or _title_from(report.description),
            description=report.description, latitude=report.latitude,
            longitude=report.longitude, category=report.category, address=report.address,
            reporter_name=report.reporter_name, reporter_phone=report.reporter_phone,
            wants_updates=report.wants_updates, submission_token=report.submission_token,
            actor=report.actor, channel=report.channel, studio=report.studio,
            feedback_key_hash=key_hash)
        for photo in stored:
            db.session.add(CasePhoto(case_id=case.id, key=photo.key, stage=PhotoStage.REPORT,
                                     width=photo.width, height=photo.height,
                                     size_bytes=photo.size_bytes))
        if stored:
            db.session.flush()
    except IntegrityError:
        # The same form was submitted twice at once and the other request filed it. No
        # SAVEPOINT here: on SQLite one would start the transaction with a read snapshot
        # and turn the second writer's wait into "database is locked". Filing is the
        # request's only write, so the whole transaction is rolled back instead.
        discard_photos(stored)
        db.session.rollback()
        already = _existing(report.submission_token)
        if already is None:
            raise
        return already
    except Exception:
        discard_photos(stored)
        raise
    return case


def add_support(case: Case, submission_token: str, phone: str | None = None) -> bool:
    """"Me too" on an open case. Returns False when this form was already counted."""
    if case.status not in OPEN_STATUSES:
        raise IllegalTransition("support", case.status,
                                reason=_("This case is already closed; please report anew."))
    phone = normalise_phone(phone)
    try:
        db.session.add(Supporter(case_id=case.id, phone=phone,
                                 submission_token=submission_token))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # this form was counted already (see file_report on SAVEPOINTs)
        return False
    add_supporters(case.id, 1)
    db.session.refresh(case)
    return True
