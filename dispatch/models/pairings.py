"""Pairings (结对): a household paired with one member, who visits it at a chosen rhythm
and logs each visit. A household's address, people and contact are personal data: only
coordinators and the member it is paired with now may see them (services/standing/
pairings.py decides); its ``label`` (an estate and building, no door number) is what
others see.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.base import UTCDateTime, utcnow
from dispatch.models.people import User
from dispatch.models.places import Studio


class Household(db.Model):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    studio_id: Mapped[int | None] = mapped_column(ForeignKey("studios.id"), index=True)
    label: Mapped[str] = mapped_column(String(120))  # shown to anyone: no door number
    # Personal data from here on.
    address: Mapped[str] = mapped_column(String(255))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    people: Mapped[str] = mapped_column(Text, default="")
    needs: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(60), default="")
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    studio: Mapped[Studio | None] = relationship()
    pairings: Mapped[list[Pairing]] = relationship(back_populates="household",
                                                   order_by="Pairing.id")
    visits: Mapped[list[Visit]] = relationship(back_populates="household",
                                               order_by="Visit.visited_at.desc()")


class Pairing(db.Model):
    """One member with one household for a while; a hand-over ends it and starts the next,
    so the visits (kept on the household) carry over."""

    __tablename__ = "pairings"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    rhythm_days: Mapped[int] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reminded_for: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the due date told

    household: Mapped[Household] = relationship(back_populates="pairings")
    member: Mapped[User] = relationship(foreign_keys=[member_id])

    __table_args__ = (
        CheckConstraint("rhythm_days BETWEEN 1 AND 366", name="rhythm_range"),
        # One member at a time per household: a second active pairing is refused.
        Index("uq_pairings_one_active", "household_id", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
    )


class Visit(db.Model):
    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    found: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    # The case a need found on this visit became (one per visit, set once).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    household: Mapped[Household] = relationship(back_populates="visits")
    member: Mapped[User] = relationship(foreign_keys=[member_id])
