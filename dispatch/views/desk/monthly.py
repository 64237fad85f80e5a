"""The monthly report page on the desk: a month and a studio in, figures, tables and charts
out. The counting lives in ``dispatch.services.desk.statistics``."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from dispatch.extensions import db
from dispatch.models import Studio, utcnow
from dispatch.services.clock import display_zone
from dispatch.services.desk import intake_figures
from dispatch.services.desk import statistics as monthly
from dispatch.services.standing import month as standing
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.forms import MonthForm
from dispatch.views.params import parse_id


@bp.get("/reports/monthly")
def monthly_report() -> tuple[str, int]:
    form = MonthForm(request.args)
    studios = list(db.session.scalars(select(Studio).order_by(Studio.code)))
    form.studio.choices = [SelectChoice("", _("All studios"))] + [
        SelectChoice(str(s.id), s.name) for s in studios]
    zone = display_zone()
    print_view = request.args.get("print") == "1"
    if not form.validate():
        return render_template("desk/monthly.html", form=form, report=None,
                               print_view=print_view), 422
    month = (monthly.Month.parse(form.month.data, zone) if form.month.data else None) \
        or monthly.Month.containing(utcnow(), zone)
    form.month.data = month.label
    studio_id = parse_id(form.studio.data)
    report = monthly.build(month, studio_id)
    studio = next((s for s in studios if s.id == studio_id), None)
    return render_template(
        "desk/monthly.html", form=form, report=report, studio=studio,
        chart=monthly.chart_data(report), stages=monthly.STAGES,
        stage_label=monthly.stage_label, print_view=print_view,
        standing=standing_figures(month, studio_id), **_intake_context(month, studio_id)), 200


def _intake_context(month: monthly.Month, studio_id: int | None) -> dict[str, object]:
    """Cases by channel and the reception days (每月接待), beside the main figures."""
    return {"by_channel": intake_figures.by_channel(month, studio_id),
            "reception": intake_figures.reception_figures(month, studio_id)}


def standing_figures(month: monthly.Month, studio_id: int | None) -> standing.MonthStanding:
    """The standing arrangements' part of the month (shifts, visits, talks, hours)."""
    return standing.figures(month.start, month.end, studio_id)
