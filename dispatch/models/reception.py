"""Reception days (接待日): a session on the rota (a studio, a date, its hours and the
representatives on duty), and each person received in it with what the matter became."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.base import LabelledEnum, UTCDateTime, utcnow
from dispatch.models.case import Case
from dispatch.models.people import User
from dispatch.models.places import Studio, enum_column

reception_representatives = Table(
    "reception_representatives", db.metadata,
    Column("session_id", ForeignKey("reception_sessions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)


class ReceptionSession(db.Model):
    """接待日: at this studio on this day, these hours, these representatives receive."""

    __tablename__ = "reception_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studios.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    starts: Mapped[str] = mapped_column(String(5), default="09:00")  # local "HH:MM"
    ends: Mapped[str] = mapped_column(String(5), default="11:30")
    topic: Mapped[str] = mapped_column(String(120), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    studio: Mapped[Studio] = relationship()
    representatives: Mapped[list[User]] = relationship(
        secondary=reception_representatives, order_by=User.display_name)
    visits: Mapped[list[ReceptionVisit]] = relationship(
        back_populates="session", order_by="ReceptionVisit.id")

    __table_args__ = (
        db.UniqueConstraint("studio_id", "day", "starts", name="uq_reception_sessions_slot"),
        CheckConstraint("starts < ends", name="starts_before_ends"),
    )


class VisitOutcome(LabelledEnum):
    CASE = "case"          # registered as a case that goes on through the flow
    ANSWERED = "answered"  # answered on the spot: registered and archived in one step
    NOTE = "note"          # a word for the work log, no case

    @classmethod
    def _labels(cls) -> dict[VisitOutcome, str]:
        return VISIT_OUTCOME_LABELS


VISIT_OUTCOME_LABELS = {
    VisitOutcome.CASE: _l("Registered as a case"),
    VisitOutcome.ANSWERED: _l("Answered on the spot"),
    VisitOutcome.NOTE: _l("Work-log note"),
}


class ReceptionVisit(db.Model):
    """One person (or one matter) received in a session, and what it became."""

    __tablename__ = "reception_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("reception_sessions.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    outcome: Mapped[VisitOutcome] = mapped_column(enum_column(VisitOutcome, "outcome"))
    visitor_name: Mapped[str | None] = mapped_column(String(60))
    visitor_phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[ReceptionSession] = relationship(back_populates="visits")
    case: Mapped[Case | None] = relationship()

    __table_args__ = (
        CheckConstraint("(outcome = 'note') = (case_id IS NULL)", name="visit_case_unless_note"),
    )
