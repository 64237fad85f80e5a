"""What the studio desk keeps besides cases: the duty rota, ledger exports and import batches."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.base import UTCDateTime, utcnow
from dispatch.models.people import User
from dispatch.models.places import Studio


class DutyShift(db.Model):
    """轮值: on this weekday (0 = Monday) this person receives at this studio, these hours."""

    __tablename__ = "duty_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studios.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    weekday: Mapped[int]
    starts: Mapped[str] = mapped_column(String(5), default="09:00")  # local "HH:MM"
    ends: Mapped[str] = mapped_column(String(5), default="17:30")

    studio: Mapped[Studio] = relationship()
    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("studio_id", "weekday", "user_id", name="uq_duty_shifts_slot"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("starts < ends", name="starts_before_ends"),
    )


class LedgerExport(db.Model):
    """A requested export of cases and their events, written by an RQ job."""

    __tablename__ = "ledger_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    file_format: Mapped[str] = mapped_column(String(4))  # "csv" or "xlsx"
    state: Mapped[str] = mapped_column(String(10), default="queued")  # queued running done failed
    total: Mapped[int] = mapped_column(default=0)  # cases to write
    written: Mapped[int] = mapped_column(default=0)  # cases written so far
    file_name: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requested_by: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint("file_format IN ('csv', 'xlsx')", name="file_format"),
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),
        CheckConstraint("date_from <= date_to", name="date_order"),
    )


class ImportBatch(db.Model):
    """An uploaded file of inspection findings, checked row by row and waiting for the
    coordinator to import it (all good rows in one transaction, once)."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # with verdicts
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    imported_count: Mapped[int] = mapped_column(default=0)

    uploaded_by: Mapped[User] = relationship()
