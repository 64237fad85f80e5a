"""The outbox: every notification is a row written in the same transaction as the ledger
event that causes it, delivered later by an RQ job, at most once per channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.base import LabelledEnum, UTCDateTime, utcnow
from dispatch.models.notify_texts import render as render_message
from dispatch.models.people import User
from dispatch.models.places import enum_column

# The group-chat robots a team may post to.
WEBHOOK_KINDS = ("wecom", "dingtalk", "feishu")


class Channel(LabelledEnum):
    INBOX = "inbox"
    WEBHOOK = "webhook"
    SMS = "sms"
    EMAIL = "email"

    @classmethod
    def _labels(cls) -> dict[Channel, str]:
        return CHANNEL_LABELS


CHANNEL_LABELS = {
    Channel.INBOX: _l("In-app inbox"),
    Channel.WEBHOOK: _l("Team group chat"),
    Channel.SMS: _l("Text message"),
    Channel.EMAIL: _l("Email"),
}


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<case>:<ledger seq>:<channel>:<recipient>": the idempotency key receivers see.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)  # None: digest
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    phone: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)  # already in the recipient's language
    # For the inbox: the same as a code with parameters, worded again when it is read
    # (models/notify_texts.py), so it follows the reader's language of the moment.
    message_code: Mapped[str | None] = mapped_column(String(40))
    message_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    url: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User | None] = relationship()


class InboxMessage(db.Model):
    """A staff member's in-app message; the unique notification makes it exactly once."""

    __tablename__ = "inbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_code: Mapped[str | None] = mapped_column(String(40))
    message_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    @property
    def shown_text(self) -> str:
        """In the reader's language when it has a code; as stored otherwise."""
        return render_message(self.message_code, self.message_params, self.text)
