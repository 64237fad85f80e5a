"""What a ledger export's file holds and how it is written: the columns of the cases and
of their events, and the two writers (XLSX, CSV). ``exports`` decides which cases go in and
keeps the export's row; this module only turns cases into cells.

* XLSX: three sheets, the cases (one row each), the ledger (one row per event, keyed by
  tracking code) and the studio's work log and talk notes of the range (one row per entry,
  with the case's tracking code where linked), header rows frozen. Talk notes travel
  without the name of whom the talk was with, as the cases travel without the reporter's.
* CSV: one table, one row per EVENT with the case's columns repeated in front (a work-log
  entry linked to a case is in its ledger as a note; the whole log is in the XLSX only),
  UTF-8 with a byte-order mark so that Excel reads Chinese.
* Times are local (the display time zone); the reporter's phone is masked (138****5678),
  no reporter name: the file travels. Internal notes are included, flagged in their own
  column: the export is for the desk.
* Characters XML cannot hold (``services/text.py``) are dropped from every text cell.
* Text that a spreadsheet could run as a formula (= + - @ first) is neutralised: a leading
  apostrophe in CSV, a plain-text cell with Excel's quote prefix in XLSX.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook

from dispatch.models import Case, CaseEvent, WorkLogEntry
from dispatch.services.clock import display_zone
from dispatch.services.desk.figures import STAGES, stage_label
from dispatch.services.phones import mask_phone
from dispatch.services.text import xml_safe

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
    Column(lambda: _("Channel"), lambda c: c.channel.label, 10),
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
    Column(lambda: _("Note"), lambda c, e: e.text, 50),
    Column(lambda: _("Time"), lambda c, e: _local(e.created_at), 17),
)



LOG_COLUMNS: tuple[Column, ...] = (
    Column(lambda: _("Time"), lambda e: _local(e.happened_at), 17),
    Column(lambda: _("Kind"), lambda e: e.kind.label, 12),
    Column(lambda: _("Studio"), lambda e: e.studio.name if e.studio else "", 16),
    Column(lambda: _("Written by"), lambda e: e.author.display_name, 12),
    Column(lambda: _("Hours"), lambda e: e.hours, 8),
    Column(lambda: _("What happened"), lambda e: e.text, 50),
    Column(lambda: _("Tracking code"), lambda e: e.case.tracking_code if e.case else "", 14),
    Column(lambda: _("Household"), lambda e: e.household.label if e.household else "", 16),
)

# --- the two file formats -------------------------------------------------------------

def csv_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        value = xml_safe(value)
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
        self.log = self._sheet(_("Work log"), LOG_COLUMNS)

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
        value = xml_safe(value)
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

    def add_log(self, entry: WorkLogEntry) -> None:
        self.log.append([self._cell(self.log, c.value(entry)) for c in LOG_COLUMNS])

    def close(self) -> None:
        self.book.save(self.path)


def _letter(index: int) -> str:
    return get_column_letter(index + 1)
