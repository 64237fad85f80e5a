"""The dispatch board (调度地图): the studio's open cases on a map, and a list beside it.

The page carries the map's small layers and the first page of the list; the cases themselves
come as GeoJSON from their own endpoint, and the heat map from another, both read with the
same filter as the list.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from flask import Response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dispatch.extensions import db
from dispatch.geo import maps
from dispatch.models import OPEN_STATUSES, CaseKind, utcnow
from dispatch.services.cases.queries import CaseFilter
from dispatch.services.desk import board as board_data
from dispatch.services.desk import bulk, glance
from dispatch.views.desk import remembered
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.forms import BoardFilterForm
from dispatch.views.desk.glance_forms import BulkForm
from dispatch.views.params import page_arg

PER_PAGE = 50


def _filter() -> tuple[BoardFilterForm, CaseFilter, board_data.Choices]:
    choices = board_data.filter_choices()
    form = BoardFilterForm(request.args)
    form.fill_choices(choices.categories, choices.regions, choices.studios)
    return form, form.to_filter(current_user.studio_id), choices


def _private(body: str, mimetype: str) -> Response:
    """No caching (residents' reports); gzipped when the browser takes it, since the
    GeoJSON of many cases is megabytes of repetitive text (level 1: fast, ~10× smaller)."""
    data = body.encode()
    gzipped = len(data) > 1024 and request.accept_encodings["gzip"] > 0
    response = Response(gzip.compress(data, compresslevel=1) if gzipped else data,
                        mimetype=mimetype)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Vary"] = "Accept-Encoding"
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    return response


def _script_config(board_map: maps.BoardEmbed, args: dict[str, str]) -> dict[str, Any]:
    """What static/js/board.js needs: the map's variables, the data URLs, the labels."""
    return {
        "map": board_map.map.name, "cluster": board_map.cluster, "heat": board_map.heat,
        "cases": url_for(".board_cases", **args), "heatUrl": url_for(".board_heat", **args),
        "caseUrl": url_for(".case_page", case_id=0).removesuffix("0"),
        "statuses": {status.value: status.label for status in OPEN_STATUSES},
        "kinds": {kind.value: kind.label for kind in CaseKind},
        "text": {"overdue": _("Overdue"), "open": _("Open the case page"),
                 "loading": _("Loading the cases…"), "failed": _("Could not load the cases."),
                 "shown": _("%(n)s open cases on the map", n="{n}"),
                 "overdueShown": _("%(n)s overdue", n="{n}")},
    }


def render_board(bulk_form: BulkForm | None = None, selected: frozenset[int] = frozenset(),
                 status: int = 200, remember: bool = False) -> tuple[str, int]:
    """The board with the filters of the request's query (kept for the next visit when
    ``remember``); ``bulk_form`` and ``selected`` when a bulk step from its list was
    refused (the same cases ticked, what was typed)."""
    form, case_filter, _choices = _filter()
    if remember:
        remembered.keep(session, current_user.id, form.query_args())
    page = db.paginate(board_data.board_query(case_filter), page=page_arg(),
                       per_page=PER_PAGE, error_out=False)
    volunteers, volunteers_total = board_data.volunteer_pins()
    board_map = maps.board_map(
        board_data.centre(case_filter), teams=board_data.team_pins(), volunteers=volunteers,
        volunteers_total=volunteers_total, points=board_data.service_points())
    args = form.query_args()
    if bulk_form is None:
        bulk_form = BulkForm(formdata=None)
    bulk_form.fill_choices(glance.bulk_teams(current_user.studio_id))
    return render_template("desk/board.html", form=form, page=page, map=board_map.map,
                           config=_script_config(board_map, args), filter_args=args,
                           now=utcnow(), statuses=OPEN_STATUSES,
                           soon=glance.due_soon_test(), filtered=remembered.KEY in session,
                           bulk_form=bulk_form, selected=selected,
                           max_batch=bulk.MAX_BATCH), status


@bp.get("/board")
def board() -> tuple[str, int] | Response:
    if not request.args:  # coming back to the board: the filters it was last left with
        stored = remembered.restore(session, current_user.id)
        if stored:
            return redirect(url_for(".board", **stored))
    # Filters the coordinator chose: the next visit starts from them.
    return render_board(remember=bool(request.args))


@bp.post("/board/filters/clear")
def clear_board_filters() -> Response:
    """Forget the remembered filters: the board opens as it does the first time."""
    remembered.forget(session)
    return redirect(url_for(".board"))


@bp.get("/board/cases.geojson")
def board_cases() -> Response:
    _form, case_filter, choices = _filter()
    labels = board_data.category_labels(choices.categories)
    return _private(board_data.cases_geojson(case_filter, maps.tile_crs(), labels),
                    "application/geo+json")


@bp.get("/board/heat.json")
def board_heat() -> Response:
    _form, case_filter, _choices = _filter()
    points = board_data.heat_points(case_filter, maps.tile_crs())
    return _private(json.dumps(points, separators=(",", ":")), "application/json")
