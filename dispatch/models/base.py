"""Column types and mixins shared by every model."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from flask_babel import get_locale
from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always gives back an aware UTC datetime.

    SQLite has no time zones and hands back naive values; PostgreSQL gives aware ones.
    Refusing naive input catches local-time bugs where they are made.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def in_english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


class BilingualName:
    """Models with ``name_zh`` and ``name_en`` show the one for the interface language."""

    name_zh: Any
    name_en: Any

    @property
    def name(self) -> str:
        if in_english() and self.name_en:
            return str(self.name_en)
        return str(self.name_zh)


class LabelledEnum(enum.StrEnum):
    """A StrEnum stored as its value and shown by a translated label; each subclass's
    ``_labels`` returns its dict of lazy labels (defined after the class, beside it)."""

    @classmethod
    def _labels(cls) -> dict[Any, Any]:
        raise NotImplementedError

    @property
    def label(self) -> str:
        return str(type(self)._labels()[self])
