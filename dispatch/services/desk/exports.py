"""The ledger export (台账导出): cases registered in a date range with ALL their events, as
an XLSX workbook or a CSV file, written by an RQ job (``dispatch.jobs.exports``).

What is in the file, and why:

* Cases: those registered (``created_at``) from ``date_from`` 00:00 to ``date_to`` 24:00 in
  the display time zone, both days included, with every event of their ledger, also the
  events after the range (the file tells each case's whole story).
* The columns and the two writers are in ``export_files``; this module keeps the export's
  row (queued → running → done or failed, each step a conditional UPDATE), the range and
  the reading of its cases in batches.

Services flush, never commit; the job commits (and commits progress between batches).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import selectinload

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, User, WorkLogEntry, utcnow
from dispatch.models.desk import LedgerExport
from dispatch.services.clock import display_zone
from dispatch.services.desk.export_files import CsvWriter, XlsxWriter
from dispatch.services.errors import InvalidInput

MAX_EXPORT_DAYS = 366
# The years an export may cover: far beyond any case, and far inside what ``local_bounds``
# can convert (0001-01-01 or 9999-12-31 overflow a datetime once shifted to UTC).
FIRST_YEAR, LAST_YEAR = 2000, 2100
BATCH = 200  # cases per read, and per progress update


def export_dir() -> Path:
    return Path(current_app.instance_path) / "exports"


def local_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the local days from ``date_from`` to ``date_to`` inclusive."""
    zone = display_zone()
    start = datetime.combine(date_from, time(), zone).astimezone(UTC)
    end = datetime.combine(date_to + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def request_export(user: User, date_from: date, date_to: date, file_format: str) -> LedgerExport:
    """A new export, queued. The caller commits, then calls ``enqueue``."""
    if file_format not in ("csv", "xlsx"):
        raise InvalidInput("file_format", _("Choose a file format."))
    for field, day in (("date_from", date_from), ("date_to", date_to)):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise InvalidInput(field, _("Choose dates from %(first)d to %(last)d.",
                                        first=FIRST_YEAR, last=LAST_YEAR))
    if date_from > date_to:
        raise InvalidInput("date_to", _("The end date is before the start date."))
    if (date_to - date_from).days + 1 > MAX_EXPORT_DAYS:
        raise InvalidInput("date_to", _("At most %(n)d days at a time.", n=MAX_EXPORT_DAYS))
    export = LedgerExport(requested_by_id=user.id, date_from=date_from, date_to=date_to,
                          file_format=file_format, state="queued")
    db.session.add(export)
    db.session.flush()
    return export


def requeue(export: LedgerExport) -> bool:
    """Back to queued (conditional: never from done). The view offers it only when
    ``may_queue_again`` found no live job, so a running export is not started twice."""
    result = db.session.execute(
        update(LedgerExport).where(LedgerExport.id == export.id,
                                   LedgerExport.state.in_(("queued", "failed", "running")))
        .values(state="queued", written=0, error=None, finished_at=None, file_name=None)
        .execution_options(synchronize_session=False))
    db.session.refresh(export)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def start(export_id: int) -> bool:
    """queued → running, by a conditional UPDATE: of two workers, one runs it."""
    result = db.session.execute(
        update(LedgerExport).where(LedgerExport.id == export_id, LedgerExport.state == "queued")
        .values(state="running", written=0, error=None)
        .execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def set_progress(export_id: int, **values: int) -> None:
    db.session.execute(update(LedgerExport).where(LedgerExport.id == export_id)
                       .values(**values).execution_options(synchronize_session=False))


def fail(export_id: int, message: str) -> None:
    db.session.execute(
        update(LedgerExport).where(LedgerExport.id == export_id, LedgerExport.state == "running")
        .values(state="failed", error=message[:2000], finished_at=utcnow())
        .execution_options(synchronize_session=False))


def finish(export_id: int, file_name: str, written: int) -> bool:
    """running → done; ``total`` becomes what the file holds (cases filed meanwhile count)."""
    result = db.session.execute(
        update(LedgerExport).where(LedgerExport.id == export_id, LedgerExport.state == "running")
        .values(state="done", file_name=file_name, written=written, total=written,
                finished_at=utcnow())
        .execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _range(export: LedgerExport) -> Any:
    start_at, end_at = local_bounds(export.date_from, export.date_to)
    return and_(Case.created_at >= start_at, Case.created_at < end_at)


def count_cases(export: LedgerExport) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Case)
                                 .where(_range(export))) or 0)


def batches(export: LedgerExport) -> Iterator[list[tuple[Case, list[CaseEvent]]]]:
    """The range's cases by id, a batch at a time (keyset: steady however large)."""
    last_id = 0
    while True:
        cases = list(db.session.scalars(
            select(Case).where(_range(export), Case.id > last_id).order_by(Case.id).limit(BATCH)
            .options(selectinload(Case.category), selectinload(Case.studio),
                     selectinload(Case.assigned_team), selectinload(Case.assigned_volunteer))))
        if not cases:
            return
        events: dict[int, list[CaseEvent]] = {case.id: [] for case in cases}
        for event in db.session.scalars(select(CaseEvent).where(
                CaseEvent.case_id.in_(list(events))).order_by(CaseEvent.case_id, CaseEvent.seq)):
            events[event.case_id].append(event)
        yield [(case, events[case.id]) for case in cases]
        last_id = cases[-1].id


def log_entries(export: LedgerExport) -> Iterator[WorkLogEntry]:
    """The work log and talk notes written for the range's days, a batch at a time."""
    start_at, end_at = local_bounds(export.date_from, export.date_to)
    last_id = 0
    while True:
        entries = list(db.session.scalars(
            select(WorkLogEntry).where(WorkLogEntry.happened_at >= start_at,
                                       WorkLogEntry.happened_at < end_at,
                                       WorkLogEntry.id > last_id)
            .order_by(WorkLogEntry.id).limit(BATCH)
            .options(selectinload(WorkLogEntry.author), selectinload(WorkLogEntry.studio),
                     selectinload(WorkLogEntry.case),
                     selectinload(WorkLogEntry.household))))
        if not entries:
            return
        yield from entries
        last_id = entries[-1].id


def write_file(export_id: int, progress: Callable[[int, int], None]) -> tuple[str, int]:
    """Write the export's file under ``instance/exports``; ``progress(written, total)`` is
    called after every batch. Written under a temporary name and renamed when complete, so
    a half-written file is never offered. Returns the file name and the cases written."""
    export = db.session.get(LedgerExport, export_id)
    if export is None:
        raise LookupError(f"no export {export_id}")
    total = count_cases(export)
    progress(0, total)
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{export.id}-{secrets.token_hex(8)}.{export.file_format}"
    partial = folder / (name + ".part")
    writer = (XlsxWriter if export.file_format == "xlsx" else CsvWriter)(partial)
    written = 0
    try:
        for batch in batches(export):
            for case, events in batch:
                writer.add(case, events)
            written += len(batch)
            progress(min(written, total), total)
        if isinstance(writer, XlsxWriter):
            for entry in log_entries(export):
                writer.add_log(entry)
        writer.close()
        os.replace(partial, folder / name)
    finally:
        partial.unlink(missing_ok=True)
    return name, written


def file_path(export: LedgerExport) -> Path | None:
    if export.state != "done" or not export.file_name:
        return None
    path = export_dir() / Path(export.file_name).name
    return path if path.is_file() else None
