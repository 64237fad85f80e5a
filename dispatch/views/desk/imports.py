"""Batch import of inspection findings: upload, preview with a verdict per row, import
the good rows in one transaction."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from dispatch.config import PROJECT_ROOT
from dispatch.extensions import db
from dispatch.models.desk import ImportBatch
from dispatch.services.errors import InvalidInput
from dispatch.services.intake import import_files, imports
from dispatch.views.desk.blueprint import bp
from dispatch.views.desk.forms import ImportConfirmForm, ImportUploadForm
from dispatch.views.forms import show_error

SAMPLES = PROJECT_ROOT / "docs" / "samples"


def _render_upload(form: ImportUploadForm | None = None, status: int = 200
                   ) -> tuple[str, int]:
    recent = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(10))
    return render_template("desk/import.html", form=form or ImportUploadForm(),
                           columns=import_files.COLUMNS, required=import_files.REQUIRED,
                           max_rows=import_files.max_rows(),
                           max_mb=import_files.MAX_BYTES // 2**20,
                           recent=list(recent)), status


@bp.get("/import", endpoint="import_findings")
def import_page() -> tuple[str, int]:
    return _render_upload()


@bp.post("/import")
def upload_findings() -> Response | tuple[str, int]:
    form = ImportUploadForm()
    if not form.validate():
        return _render_upload(form, 422)
    upload = form.file.data
    try:
        batch, ignored = imports.create_batch(upload.stream, upload.filename or "", current_user)
    except InvalidInput as error:
        db.session.rollback()
        show_error(form, error, fallback=form.file)
        return _render_upload(form, 422)
    db.session.commit()
    if ignored:
        flash(_("These columns were not recognised and are ignored: %(names)s.",
                names=", ".join(ignored)), "warning")
    return redirect(url_for(".import_preview", batch_id=batch.id))


@bp.get("/import/sample.<any(csv, xlsx):extension>")
def import_sample(extension: str) -> Response:
    return send_from_directory(SAMPLES, f"inspection-findings.{extension}", as_attachment=True)


def _render_preview(batch: ImportBatch, form: ImportConfirmForm | None = None,
                    status: int = 200) -> tuple[str, int]:
    bad = imports.bad_rows(batch)
    return render_template("desk/import_preview.html", batch=batch,
                           form=form or ImportConfirmForm(formdata=None), bad_count=len(bad),
                           good_count=len(batch.rows) - len(bad),
                           describe=imports.describe), status


@bp.get("/import/<id:batch_id>")
def import_preview(batch_id: int) -> tuple[str, int]:
    return _render_preview(db.get_or_404(ImportBatch, batch_id))


@bp.post("/import/<id:batch_id>")
def import_rows(batch_id: int) -> Response | tuple[str, int]:
    batch = db.get_or_404(ImportBatch, batch_id)
    form = ImportConfirmForm()
    if not form.validate():
        abort(400)
    try:
        created = imports.import_batch(batch, form.rows.data or [], current_user,
                                       bool(form.skip_bad.data))
    except imports.AlreadyImported as error:
        db.session.rollback()
        flash(error.message(), "warning")
        return redirect(url_for(".import_preview", batch_id=batch_id))
    except InvalidInput as error:
        db.session.rollback()
        batch = db.get_or_404(ImportBatch, batch_id)
        if imports.recheck(batch):
            db.session.commit()
        show_error(form, error, fallback=form.rows)
        return _render_preview(batch, form, error.http_status)
    db.session.commit()
    flash(_("%(n)d inspection findings imported.", n=len(created)), "success")
    return redirect(url_for(".case_list", kind="inspection"))
