"""Ledger exports on the desk: ask for one (a job writes it), watch it, download it.

Every desk user (coordinator or admin, the blueprint checks) sees and downloads the
studio desk's exports; nobody else can reach these pages."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from dispatch.extensions import db
from dispatch.jobs import exports as export_jobs
from dispatch.models import utcnow
from dispatch.models.desk import LedgerExport
from dispatch.services.clock import local
from dispatch.services.desk import exports as ledger
from dispatch.services.errors import InvalidInput
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.forms import ExportForm
from dispatch.views.forms import show_error


def _recent() -> list[LedgerExport]:
    return list(db.session.scalars(select(LedgerExport).order_by(LedgerExport.id.desc())
                                   .limit(30)))


def _queued_message(queued: bool) -> None:
    if queued:
        flash(_("Export queued. This page shows its progress."), "success")
    else:
        flash(_("The job queue cannot be reached: the export waits as queued. "
                "Try “Queue again” in a moment."), "warning")


def _render_list(form: ExportForm, status: int = 200) -> tuple[str, int]:
    return render_template("desk/exports.html", form=form, rows=_recent(),
                           percent=percent, may_queue_again=export_jobs.may_queue_again), status


@bp.get("/exports")
def exports() -> tuple[str, int]:
    today = local(utcnow()).date()
    return _render_list(ExportForm(formdata=None, date_from=today.replace(day=1),
                                   date_to=today))


@bp.post("/exports")
def create_export() -> Response | tuple[str, int]:
    form = ExportForm()
    if not form.validate():
        return _render_list(form, 422)
    try:
        row = ledger.request_export(current_user, form.date_from.data, form.date_to.data,
                                    form.file_format.data or "xlsx")
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.date_to)
        return _render_list(form, 422)
    db.session.commit()
    _queued_message(export_jobs.enqueue(row.id))  # after commit: the worker finds the row
    return redirect(url_for(".export_page", export_id=row.id))


@bp.get("/exports/<id:export_id>")
def export_page(export_id: int) -> str:
    row = db.get_or_404(LedgerExport, export_id)
    return render_template("desk/export.html", row=row, percent=percent,
                           may_queue_again=export_jobs.may_queue_again(row))


@bp.get("/exports/<id:export_id>.json")
def export_status(export_id: int) -> Response:
    row = db.get_or_404(LedgerExport, export_id)
    return jsonify(
        id=row.id, state=row.state, total=row.total, written=row.written,
        percent=percent(row), error=row.error or "",
        download_url=url_for(".download_export", export_id=row.id)
        if row.state == "done" else None)


@bp.get("/exports/<id:export_id>/download")
def download_export(export_id: int) -> Response:
    row = db.get_or_404(LedgerExport, export_id)
    path = ledger.file_path(row)
    if path is None:
        abort(404)
    name = f"ledger-{row.date_from:%Y%m%d}-{row.date_to:%Y%m%d}.{row.file_format}"
    return send_file(path, as_attachment=True, download_name=name, max_age=0)


@bp.post("/exports/<id:export_id>/queue")
def queue_export_again(export_id: int) -> Response:
    row = db.get_or_404(LedgerExport, export_id)
    if not export_jobs.may_queue_again(row) or not ledger.requeue(row):
        flash(_("This export is already running or done."), "warning")
        return redirect(url_for(".export_page", export_id=row.id))
    db.session.commit()
    _queued_message(export_jobs.enqueue(row.id))
    return redirect(url_for(".export_page", export_id=row.id))


def percent(row: LedgerExport) -> int:
    if row.state == "done":
        return 100
    return int(100 * row.written / row.total) if row.total else 0
