"""The monthly report (每月接待、每月反馈): what the desk received, resolved and heard back
in one calendar month of the display time zone, overall and by category, team and studio.

How each figure is counted (the page and the README say the same):

* registered: cases created in the month; received: cases whose ``received_at`` is in it.
* resolved: cases archived in the month with the outcome "resolved"; archived: any outcome.
* time to reply: ``replied_at - created_at`` of the cases replied in the month; the median
  and the 90th percentile interpolate linearly between the two nearest values.
* satisfaction: every resident's feedback (``give_feedback``) given in the month counts
  once; it is satisfied when it was the case's last word and said so, not satisfied when it
  said so or the case was sent back for handling after it (``reopen``). Replies the system
  confirmed after the quiet period (``auto_confirm``) are counted apart, never as satisfied.
* where time goes: the mean and median of the per-stage seconds of the cases archived or
  replied in the month (a stage counts once the case has left it).

Percentiles are computed in Python over the month's rows, the same on SQLite and PostgreSQL.
The month, the figures and the arithmetic are in ``figures``; the queries are here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, Category, Outcome, Studio, Team
from dispatch.services.desk.figures import (
    STAGES,
    CaseFacts,
    Figures,
    Group,
    Month,
    MonthlyReport,
    stage_label,
)


def _in(column: object, month: Month) -> object:
    return and_(column >= month.start, column < month.end)  # type: ignore[operator]


def _feedback_verdicts(month: Month) -> tuple[dict[int, list[bool]], dict[int, int]]:
    """Per case: the verdicts of the feedback given in the month, and how many replies the
    system confirmed in it. A feedback followed by a reopen was not satisfied; the last one
    stands as the case says."""
    in_month = select(CaseEvent.case_id).where(
        CaseEvent.action.in_(("give_feedback", "auto_confirm")), _in(CaseEvent.created_at, month))
    rows = db.session.execute(
        select(CaseEvent.case_id, CaseEvent.action, CaseEvent.created_at,
               Case.feedback_satisfied)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.case_id.in_(in_month),
               CaseEvent.action.in_(("give_feedback", "auto_confirm", "reopen")))
        .order_by(CaseEvent.case_id, CaseEvent.seq)).all()
    verdicts: dict[int, list[bool]] = defaultdict(list)
    confirmed: dict[int, int] = defaultdict(int)
    for index, row in enumerate(rows):
        if not month.start <= row.created_at < month.end:
            continue
        if row.action == "auto_confirm":
            confirmed[row.case_id] += 1
        elif row.action == "give_feedback":
            following = rows[index + 1] if index + 1 < len(rows) else None
            if following is not None and following.case_id == row.case_id \
                    and following.action == "reopen":
                verdicts[row.case_id].append(False)
            elif row.feedback_satisfied is not None:
                verdicts[row.case_id].append(bool(row.feedback_satisfied))
    return verdicts, confirmed


def _facts(month: Month, studio_id: int | None) -> list[CaseFacts]:
    verdicts, confirmed = _feedback_verdicts(month)
    touched = or_(_in(Case.created_at, month), _in(Case.received_at, month),
                  _in(Case.replied_at, month), _in(Case.archived_at, month),
                  Case.id.in_(select(CaseEvent.case_id).where(
                      CaseEvent.action.in_(("give_feedback", "auto_confirm")),
                      _in(CaseEvent.created_at, month))))
    query = select(Case.id, Case.category_id, Case.studio_id, Case.assigned_team_id,
                   Case.assigned_volunteer_id, Case.outcome, Case.created_at,
                   Case.received_at, Case.replied_at, Case.archived_at,
                   *(getattr(Case, f"seconds_{s}") for s in STAGES)).where(touched)
    if studio_id is not None:
        query = query.where(Case.studio_id == studio_id)

    def inside(moment: datetime | None) -> bool:
        return moment is not None and month.start <= moment < month.end

    facts = []
    for row in db.session.execute(query.order_by(Case.id)):
        replied, archived = inside(row.replied_at), inside(row.archived_at)
        facts.append(CaseFacts(
            case_id=row.id, category_id=row.category_id, studio_id=row.studio_id,
            team_id=row.assigned_team_id, volunteer_id=row.assigned_volunteer_id,
            registered=inside(row.created_at), received=inside(row.received_at),
            archived=archived, resolved=archived and row.outcome == Outcome.RESOLVED,
            reply_seconds=(row.replied_at - row.created_at).total_seconds() if replied
            else None,
            stage_seconds={s: getattr(row, f"seconds_{s}") for s in STAGES}
            if replied or archived else None,
            verdicts=verdicts.get(row.id, []), auto_confirmed=confirmed.get(row.id, 0)))
    return facts


def _grouped(facts: list[CaseFacts], key: Callable[[CaseFacts], str],
             names: dict[str, str]) -> list[Group]:
    groups: dict[str, list[CaseFacts]] = defaultdict(list)
    for fact in facts:
        groups[key(fact)].append(fact)
    result = [Group(k, names.get(k, k), Figures.of(v)) for k, v in groups.items()]
    return sorted(result, key=lambda g: (-g.figures.received, -g.figures.registered, g.name))


def _team_key(fact: CaseFacts) -> str:
    if fact.team_id is not None:
        return f"t{fact.team_id}"
    return "volunteers" if fact.volunteer_id is not None else "none"


def build(month: Month, studio_id: int | None = None) -> MonthlyReport:
    facts = _facts(month, studio_id)
    categories = {str(c.id): c.name for c in db.session.scalars(select(Category))}
    studios = {str(s.id): s.name for s in db.session.scalars(select(Studio))}
    studios["none"] = _("No studio")
    teams = {f"t{t.id}": t.name for t in db.session.scalars(select(Team))}
    teams["volunteers"] = _("Individual volunteers")
    teams["none"] = _("Not assigned")
    return MonthlyReport(
        month=month, studio_id=studio_id, totals=Figures.of(facts),
        by_category=_grouped(facts, lambda f: str(f.category_id), categories),
        by_team=_grouped(facts, _team_key, teams),
        by_studio=_grouped(facts, lambda f: str(f.studio_id or "none"), studios))


def chart_data(report: MonthlyReport) -> dict[str, object]:
    """Plain numbers and names for the charts (read by static/js/monthly.js)."""
    hours = 3600.0

    def h(value: float | None) -> float:
        return round((value or 0) / hours, 1)

    totals = report.totals
    return {
        "categories": [g.name for g in report.by_category],
        "received": [g.figures.received for g in report.by_category],
        "resolved": [g.figures.resolved for g in report.by_category],
        "stage_names": [stage_label(s) for s in STAGES],
        "stage_rows": [g.name for g in report.by_category if g.figures.stage_cases],
        "stage_hours": [[h(g.figures.stage_mean[s]) for g in report.by_category
                         if g.figures.stage_cases] for s in STAGES],
        "satisfaction": [
            {"name": _("Satisfied"), "value": totals.satisfied},
            {"name": _("Not satisfied"), "value": totals.unsatisfied},
            {"name": _("Confirmed without feedback"), "value": totals.auto_confirmed}],
        "labels": {"received": _("Received"), "resolved": _("Resolved"),
                   "hours": _("hours")},
    }
