"""The studio's work log (工作日志) and talk notes (谈心谈话本): a representative's daily
entries and the talks they held, each optionally linked to a case and a household."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.base import LabelledEnum, UTCDateTime, utcnow
from dispatch.models.case import Case
from dispatch.models.pairings import Household
from dispatch.models.people import User
from dispatch.models.places import Studio, enum_column


class LogKind(LabelledEnum):
    ENTRY = "entry"
    TALK = "talk"

    @classmethod
    def _labels(cls) -> dict[LogKind, str]:
        return LOG_KIND_LABELS


LOG_KIND_LABELS = {LogKind.ENTRY: _l("Work log entry"), LogKind.TALK: _l("Talk note")}


class WorkLogEntry(db.Model):
    __tablename__ = "work_log_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int | None] = mapped_column(ForeignKey("studios.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[LogKind] = mapped_column(enum_column(LogKind, "log_kind"))
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    with_whom: Mapped[str] = mapped_column(String(120), default="")  # talks: who
    text: Mapped[str] = mapped_column(Text)
    hours: Mapped[float | None] = mapped_column(Float)  # time served, when given
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()
    studio: Mapped[Studio | None] = relationship()
    case: Mapped[Case | None] = relationship()
    household: Mapped[Household | None] = relationship()

    __table_args__ = (
        CheckConstraint("hours IS NULL OR (hours > 0 AND hours <= 24)", name="hours_range"),
    )
