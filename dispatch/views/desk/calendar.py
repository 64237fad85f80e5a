"""The working-day calendar on the desk: the year's official holidays and make-up working
days (调休) as the clocks count them, and which categories count working days."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Category, utcnow
from dispatch.services.clock import local
from dispatch.services.responders.rota import WEEKDAYS
from dispatch.services.workdays import year_table
from dispatch.views.desk.blueprint import bp
from dispatch.views.params import parse_int

HOLIDAY_NAMES = {
    "New Year's Day": _l("New Year's Day"),
    "Spring Festival": _l("Spring Festival"),
    "Tomb-sweeping Day": _l("Tomb-sweeping Day"),
    "Labour Day": _l("Labour Day"),
    "Dragon Boat Festival": _l("Dragon Boat Festival"),
    "National Day": _l("National Day"),
    "Mid-autumn Festival": _l("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": _l("Anti-Fascist 70th Day"),
}


@bp.get("/calendar")
def working_days() -> tuple[str, int]:
    this_year = local(utcnow()).year
    year = parse_int(request.args.get("year"), minimum=2004, maximum=2100) or this_year
    table = year_table(year)
    categories = list(db.session.scalars(select(Category).order_by(Category.id)))
    return render_template("desk/calendar.html", table=table, year=year,
                           holiday_names=HOLIDAY_NAMES, categories=categories,
                           weekdays=WEEKDAYS), 200
