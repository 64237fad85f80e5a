"""Public pages of the studios' work: who is on duty today, and the results wall
(成果上墙) with the published task list (领题解题). No account needed."""

from __future__ import annotations

from flask import render_template

from dispatch.models import utcnow
from dispatch.services.cases import wall as results_wall
from dispatch.services.clock import local
from dispatch.services.responders import rota
from dispatch.views.params import page_arg
from dispatch.views.public.blueprint import bp


@bp.get("/duty")
def duty() -> str:
    """Today's people on duty at each studio: display names only, the studio's own phone."""
    now = utcnow()
    return render_template("public/duty.html", board=rota.duty_board(now),
                           today=local(now), weekdays=rota.WEEKDAYS)


@bp.get("/wall")
def wall() -> str:
    pagination, results = results_wall.results(page_arg())
    tasks, total = results_wall.tasks()
    return render_template("public/wall.html", pagination=pagination, results=results,
                           tasks=tasks, task_total=total, steps=results_wall.PROGRESS_STEPS)
