"""Browser: the demo coordinator reads the month's report and downloads an XLSX export
whose rows match the ledger."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import redis
from flask import Flask
from openpyxl import load_workbook
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, utcnow
from dispatch.services.clock import display_zone
from dispatch.services.desk.exports import local_bounds
from dispatch.services.desk.statistics import Month
from tests.browser.conftest import DESKTOP


def test_the_monthly_report_and_an_xlsx_export_match_the_ledger(
        app: Flask, live_server: str, browser, shots: Path, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "coordinator")
    page.fill("input[name=password]", app.config["DEMO_PASSWORD"])
    page.click("form:has(input[name=password]) button[type=submit]")

    month = Month.containing(utcnow(), display_zone())
    registered = db.session.scalar(select(func.count()).select_from(Case).where(
        Case.created_at >= month.start, Case.created_at < month.end))
    page.goto(f"{live_server}/desk/reports/monthly?month={month.label}")
    assert page.locator("[data-testid=registered]").inner_text() == str(registered)
    page.wait_for_selector("#chart-categories svg")
    page.screenshot(path=str(shots / "desk-monthly-report.png"), full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(shots / "desk-monthly-report-print.png"), full_page=True)
    page.emulate_media(media="screen")

    today = utcnow().astimezone(display_zone()).date()
    start = today - timedelta(days=60)
    page.goto(f"{live_server}/desk/exports")
    page.fill("input[name=date_from]", start.isoformat())
    page.fill("input[name=date_to]", today.isoformat())
    page.check("input[name=file_format][value=xlsx]")
    page.click(".export-form button[type=submit]")
    page.wait_for_url(re.compile(r"/desk/exports/\d+$"))
    queue = Queue("default", connection=redis.Redis.from_url(redis_url))
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    page.wait_for_selector("[data-download]:not(.d-none)", timeout=10_000)
    page.wait_for_timeout(800)  # let the progress bar's width transition end
    page.screenshot(path=str(shots / "desk-export-done.png"))
    with page.expect_download() as info:
        page.click("[data-download]")
    book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()), read_only=True)

    start_at, end_at = local_bounds(start, today)
    in_range = select(Case.id).where(Case.created_at >= start_at, Case.created_at < end_at)
    cases = db.session.scalar(select(func.count()).select_from(in_range.subquery()))
    events = db.session.scalar(select(func.count()).select_from(CaseEvent)
                               .where(CaseEvent.case_id.in_(in_range)))
    cases_sheet, events_sheet, _log = book.worksheets
    assert sum(1 for _ in cases_sheet.iter_rows(min_row=2)) == cases
    assert sum(1 for _ in events_sheet.iter_rows(min_row=2)) == events
    book.close()
