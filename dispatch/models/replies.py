"""Ready replies to the resident: the studio's own words, kept as data (edited on the desk)
rather than interface strings. ``studio_id`` None is a template every studio offers."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.extensions import db
from dispatch.models.base import in_english
from dispatch.models.places import Studio


class ReplyTemplate(db.Model):
    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    studio_id: Mapped[int | None] = mapped_column(ForeignKey("studios.id"), index=True)
    label_zh: Mapped[str] = mapped_column(String(60))
    label_en: Mapped[str] = mapped_column(String(120), default="")
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    studio: Mapped[Studio | None] = relationship()

    @property
    def label(self) -> str:
        return self.label_en if in_english() and self.label_en else self.label_zh

    @property
    def shown_text(self) -> str:
        """The text in the interface's language (the settings list)."""
        return self.text("en" if in_english() else "zh")

    def text(self, language: str) -> str:
        """The text in ``language``; a template without English falls back to Chinese."""
        return self.text_en if language == "en" and self.text_en else self.text_zh
