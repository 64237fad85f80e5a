"""The ledger export (台账导出): cases registered in a date range with ALL their events, as
an XLSX workbook or a CSV file, written by an RQ job (``dispatch.jobs.exports``).

What is in the file, and why:

* Cases: those registered (``created_at``) from ``date_from`` 00:00 to ``date_to`` 24:00 in
  the display time zone, both days included, with every event of their ledger, also the
  events after the range (the file tells each case's whole story).
* XLSX: two sheets, the cases (one row each) and the ledger (one row per event, keyed by
  tracking code), header row frozen. CSV: one table, one row per EVENT with the case's
  columns repeated in front, UTF-8 with a byte-order mark so that Excel reads Chinese.
* Times are local (the display time zone); the reporter's phone is masked (138****5678),
  no reporter name: the file travels. Internal notes are included, flagged in their own
  column: the export is for the desk.
* Text that a spreadsheet could run as a formula (= + - @ first) is neutralised: a leading
  apostrophe in CSV, a plain-text cell with Excel's quote prefix in XLSX.

Services flush, never commit; the job commits (and commits progress between batches).
"""

from __future__ import annotations

import csv
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.workbook import Workbook
from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import selectinload

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, User, utcnow
from dispatch.models.desk import LedgerExport
from dispatch.services.clock import display_zone
from dispatch.services.desk.statistics import STAGES, stage_label
from dispatch.services.errors import InvalidInput
from dispatch.services.phones import mask_phone

MAX_EXPORT_DAYS = 366
BATCH = 200  # cases per read, and per progress update
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --- what goes in the file ---------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    header: Callable[[], str]
    value: Callable[..., Any]
    width: float = 14


def _local(moment: datetime | None) -> datetime | None:
    """Local wall-clock time without a zone: what a spreadsheet shows as it is."""
    return moment.astimezone(display_zone()).replace(tzinfo=None) if moment else None


def _yes_no(value: bool | None) -> str:
    return "" if value is None else (_("Yes") if value else _("No"))


def _stage_column(stage: str) -> Column:
    return Column(lambda: _("%(stage)s (seconds)", stage=stage_label(stage)),
                  lambda c: getattr(c, f"seconds_{stage}"), 12)


CASE_COLUMNS: tuple[Column, ...] = (
    Column(lambda: _("Tracking code"), lambda c: c.tracking_code, 14),
    Column(lambda: _("Kind"), lambda c: c.kind.label, 10),
    Column(lambda: _("Category"), lambda c: c.category.name, 14),
    Column(lambda: _("Title"), lambda c: c.title, 28),
    Column(lambda: _("Description"), lambda c: c.description, 40),
    Column(lambda: _("Address"), lambda c: c.address, 24),
    Column(lambda: _("Status"), lambda c: c.status.label, 10),
    Column(lambda: _("Outcome"), lambda c: c.outcome.label if c.outcome else "", 10),
    Column(lambda: _("Studio"), lambda c: c.studio.name if c.studio else "", 16),
    Column(lambda: _("Team or volunteer"), lambda c: c.assignee_name or "", 16),
    Column(lambda: _("Reporter phone (masked)"), lambda c: mask_phone(c.reporter_phone), 14),
    Column(lambda: _("Registered at"), lambda c: _local(c.created_at), 17),
    Column(lambda: _("Received at"), lambda c: _local(c.received_at), 17),
    Column(lambda: _("Replied at"), lambda c: _local(c.replied_at), 17),
    Column(lambda: _("Archived at"), lambda c: _local(c.archived_at), 17),
    Column(lambda: _("Due"), lambda c: _local(c.due_at), 17),
    Column(lambda: _("Overdue"), lambda c: _yes_no(c.is_overdue), 8),
    Column(lambda: _("Satisfied"), lambda c: _yes_no(c.feedback_satisfied), 8),
    Column(lambda: _("Rating"), lambda c: c.feedback_rating, 8),
    *(_stage_column(stage) for stage in STAGES),
)

# Each event column reads (case, event); the first one keys the row to its case.
EVENT_COLUMNS: tuple[Column, ...] = (
    Column(lambda: _("Tracking code"), lambda c, e: c.tracking_code, 14),
    Column(lambda: _("No."), lambda c, e: e.seq, 6),
    Column(lambda: _("Action code"), lambda c, e: e.action, 14),
    Column(lambda: _("What happened"), lambda c, e: e.action_label, 20),
    Column(lambda: _("From status"), lambda c, e: e.from_status.label if e.from_status
           else "", 10),
    Column(lambda: _("To status"), lambda c, e: e.to_status.label, 10),
    Column(lambda: _("Actor role"), lambda c, e: e.actor_role, 12),
    Column(lambda: _("Actor"), lambda c, e: e.actor_name, 12),
    Column(lambda: _("Internal"), lambda c, e: _yes_no(e.internal), 8),
    Column(lambda: _("Note"), lambda c, e: e.note, 50),
    Column(lambda: _("Time"), lambda c, e: _local(e.created_at), 17),
)

# Control characters other than tab and newlines cannot be stored in an XLSX cell.
_ILLEGAL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])


def clean_text(value: str) -> str:
    return value.translate(_ILLEGAL)


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


# --- the two file formats -------------------------------------------------------------

def csv_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        value = clean_text(value)
        return "'" + value if value.startswith(FORMULA_START) else value
    return "" if value is None else value


@dataclass
class CsvWriter:
    path: Path

    def __post_init__(self) -> None:
        self.handle = self.path.open("w", encoding="utf-8-sig", newline="")
        self.out = csv.writer(self.handle)
        self.out.writerow([c.header() for c in CASE_COLUMNS]
                          + [c.header() for c in EVENT_COLUMNS[1:]])

    def add(self, case: Case, events: list[CaseEvent]) -> int:
        head = [csv_safe(c.value(case)) for c in CASE_COLUMNS]
        for event in events:
            self.out.writerow(head + [csv_safe(c.value(case, event))
                                      for c in EVENT_COLUMNS[1:]])
        return len(events)

    def close(self) -> None:
        self.handle.close()


@dataclass
class XlsxWriter:
    path: Path

    def __post_init__(self) -> None:
        self.book = Workbook(write_only=True)
        self.cases = self._sheet(_("Cases"), CASE_COLUMNS)
        self.events = self._sheet(_("Ledger"), EVENT_COLUMNS)

    def _sheet(self, title: str, columns: tuple[Any, ...]) -> Any:
        sheet = self.book.create_sheet(title[:31])
        sheet.freeze_panes = "B2"
        for index, column in enumerate(columns):
            sheet.column_dimensions[_letter(index)].width = column.width
        sheet.append([c.header() for c in columns])
        return sheet

    def _cell(self, sheet: Any, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = clean_text(value)
        if value.startswith(FORMULA_START) or value in ERROR_CODES:
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"  # text, never a formula
            cell.quotePrefix = True  # and Excel keeps it text when edited
            return cell
        return value

    def add(self, case: Case, events: list[CaseEvent]) -> int:
        self.cases.append([self._cell(self.cases, c.value(case)) for c in CASE_COLUMNS])
        for event in events:
            self.events.append([self._cell(self.events, c.value(case, event))
                                for c in EVENT_COLUMNS])
        return len(events)

    def close(self) -> None:
        self.book.save(self.path)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


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
