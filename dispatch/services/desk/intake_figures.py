"""The monthly report's intake figures, kept apart from the main report: cases by the
channel they came through (来访 来电 微信群 信件 巡查 网上), counted as the report counts
them by category, and the reception days (sessions, people received, answered on the
spot) from ``reception``."""

from __future__ import annotations

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, IntakeChannel
from dispatch.services.desk import reception
from dispatch.services.desk.figures import Group, Month

# The report's own reading of the month, shared so the figures are counted the same way.
from dispatch.services.desk.statistics import _facts, _grouped  # noqa: PLC2701


def by_channel(month: Month, studio_id: int | None = None) -> list[Group]:
    """The month's figures per channel (every channel listed, those with cases first)."""
    facts = _facts(month, studio_id)
    ids = [fact.case_id for fact in facts]
    channels: dict[int, str] = {}
    for start in range(0, len(ids), 500):  # an IN list of bounded length
        channels.update(db.session.execute(
            select(Case.id, Case.channel).where(Case.id.in_(ids[start:start + 500]))).all())
    names = {channel.value: channel.label for channel in IntakeChannel}
    groups = _grouped(facts, lambda fact: str(channels.get(fact.case_id, "online")), names)
    return groups


def reception_figures(month: Month, studio_id: int | None = None
                      ) -> reception.ReceptionFigures:
    return reception.month_figures(month, studio_id)
