"""Ledger exports: asked for on the desk, written once by a real RQ worker against real
Redis, and the file holds exactly what the ledger holds, safely."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import redis
from flask import Flask
from openpyxl import load_workbook
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.jobs import exports as export_jobs
from dispatch.jobs.exports import export_ledger
from dispatch.models import Case, CaseEvent, LogKind
from dispatch.models.desk import LedgerExport
from dispatch.services.cases import lifecycle
from dispatch.services.desk import exports
from dispatch.services.standing import worklog
from tests.conftest import WebClient
from tests.factories import World, gen_case, take_step, walk

RANGE = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def run_worker(redis_url: str) -> None:
    queue = Queue("default", connection=redis.Redis.from_url(redis_url))
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def ledger(world: World) -> list[Case]:
    """Five March cases (Shanghai time) in several states, with notes, and two outside."""
    cases = []
    for day in range(1, 6):
        at = utc(2026, 3, day * 5, 3)
        case = gen_case(world.category, world.studio, at=at,
                        title="=HYPERLINK(\"http://evil\",\"click\")" if day == 1 else f"井盖{day}")
        for offset, action in enumerate(("receive", "assign", "accept")[:(day - 1) % 4],
                                        start=1):
            take_step(case, action, world, at=at + timedelta(hours=offset))
        lifecycle.add_note(case, world.desk(), "+86 内部备注 @负责人", at=at + timedelta(hours=9))
        cases.append(case)
    walk(cases[4], world, "archive")
    # 00:30 on 1 April in Shanghai (16:30 UTC on 31 March): outside the range.
    gen_case(world.category, world.studio, at=utc(2026, 3, 31, 16, 30))
    gen_case(world.category, world.studio, at=utc(2026, 2, 28, 15, 59))  # 23:59 local
    db.session.commit()
    return cases


def ledger_counts(cases: list[Case]) -> tuple[int, int]:
    ids = [c.id for c in cases]
    events = db.session.scalar(select(func.count()).select_from(CaseEvent)
                               .where(CaseEvent.case_id.in_(ids)))
    return len(ids), int(events or 0)


def request_export(client: WebClient, file_format: str) -> LedgerExport:
    response = client.post("/desk/exports", {**RANGE, "file_format": file_format})
    assert response.status_code == 302, response.get_data(as_text=True)
    export_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    row = db.session.get(LedgerExport, export_id)
    assert row is not None
    return row


def download(client: WebClient, export_id: int) -> bytes:
    response = client.get(f"/desk/exports/{export_id}/download")
    assert response.status_code == 200
    body = response.get_data()
    response.close()  # send_file streams from an open file
    return bytes(body)


def finished(row: LedgerExport) -> LedgerExport:
    db.session.expire_all()
    fresh = db.session.get(LedgerExport, row.id)
    assert fresh is not None
    return fresh


def test_the_xlsx_holds_exactly_the_ledger_of_the_range(signed_in, redis_url: str,
                                                        ledger: list[Case]) -> None:
    client = signed_in("coordinator")
    row = request_export(client, "xlsx")
    assert row.state == "queued"
    waiting = client.get(f"/desk/exports/{row.id}").get_data(as_text=True)
    assert f"/desk/exports/{row.id}/queue" not in waiting  # its job is waiting in Redis
    run_worker(redis_url)
    row = finished(row)
    assert (row.state, row.written, row.total) == ("done", 5, 5)
    status = client.get(f"/desk/exports/{row.id}.json").get_json()
    assert status["percent"] == 100 and status["download_url"].endswith("/download")

    book = load_workbook(io.BytesIO(download(client, row.id)))
    cases_sheet, events_sheet, _log = book.worksheets
    assert cases_sheet.freeze_panes == "B2"
    n_cases, n_events = ledger_counts(ledger)
    assert cases_sheet.max_row - 1 == n_cases
    assert events_sheet.max_row - 1 == n_events
    codes = {r[0] for r in cases_sheet.iter_rows(min_row=2, values_only=True)}
    assert codes == {c.tracking_code for c in ledger}
    per_case = [r[0] for r in events_sheet.iter_rows(min_row=2, values_only=True)]
    assert per_case.count(ledger[4].tracking_code) == len(ledger[4].events)


def test_the_xlsx_has_the_range_s_work_log_without_whom_a_talk_was_with(
        signed_in, redis_url: str, world: World, ledger: list[Case]) -> None:
    worklog.write(worklog.NewEntry(LogKind.TALK, utc(2026, 3, 12, 2), "=谈心：家里困难",
                                   with_whom="王秀兰阿姨", hours=1.5, case=ledger[1]),
                  world.coordinator)
    worklog.write(worklog.NewEntry(LogKind.ENTRY, utc(2026, 3, 20, 8), "巡查车棚"),
                  world.coordinator)
    worklog.write(worklog.NewEntry(LogKind.ENTRY, utc(2026, 4, 2, 8), "四月的日志"),
                  world.coordinator)
    db.session.commit()
    client = signed_in("coordinator")
    row = request_export(client, "xlsx")
    run_worker(redis_url)
    book = load_workbook(io.BytesIO(download(client, finished(row).id)))
    assert len(book.worksheets) == 3
    log = list(book.worksheets[2].iter_rows(min_row=2, values_only=True))
    assert sorted(r[5] for r in log) == ["=谈心：家里困难", "巡查车棚"]
    talk = next(r for r in log if r[4] == 1.5)
    assert talk[6] == ledger[1].tracking_code
    assert "王秀兰" not in repr(log)
    formula = next(c for c in book.worksheets[2]["F"] if c.value == "=谈心：家里困难")
    assert formula.data_type == "s"  # text, never a formula


def test_the_csv_has_a_bom_and_one_row_per_event(signed_in, redis_url: str,
                                                 ledger: list[Case]) -> None:
    client = signed_in("coordinator")
    row = request_export(client, "csv")
    run_worker(redis_url)
    body = download(client, finished(row).id)
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(table) - 1 == ledger_counts(ledger)[1]
    assert len({len(line) for line in table}) == 1  # every row has every column


def test_phones_are_masked_and_formulas_are_plain_text(app: Flask, world: World,
                                                       ledger: list[Case]) -> None:
    paths = {}
    for file_format in ("csv", "xlsx"):
        row = exports.request_export(world.coordinator, date(2026, 3, 1), date(2026, 3, 31),
                                     file_format)
        db.session.commit()
        assert export_ledger(row.id) == "done"
        path = exports.file_path(finished(row))
        assert path is not None
        paths[file_format] = path
    text = paths["csv"].read_text(encoding="utf-8-sig")
    assert "13812345678" not in text and "138****5678" in text
    cells = [cell for line in csv.reader(io.StringIO(text)) for cell in line]
    assert "'=HYPERLINK(\"http://evil\",\"click\")" in cells
    assert "'+86 内部备注 @负责人" in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)

    book = load_workbook(paths["xlsx"])
    title = next(c for c in book.worksheets[0]["D"] if str(c.value).startswith("=HYPER"))
    assert title.data_type == "s" and title.quotePrefix
    notes = [c for c in book.worksheets[1]["J"] if c.value == "+86 内部备注 @负责人"]
    assert len(notes) == 5 and all(c.quotePrefix for c in notes)
    phones = {c.value for c in book.worksheets[0]["K"][1:]}
    assert phones == {"138****5678"}


def test_the_job_run_twice_writes_once(app: Flask, world: World, redis_url: str,
                                       ledger: list[Case]) -> None:
    row = exports.request_export(world.coordinator, date(2026, 3, 1), date(2026, 3, 31), "xlsx")
    db.session.commit()
    assert export_jobs.enqueue(row.id) and export_jobs.enqueue(row.id)
    queue = Queue("default", connection=redis.Redis.from_url(redis_url))
    assert [j for j in queue.job_ids if j.startswith("ledger-export")] == [
        f"ledger-export-{row.id}"]
    run_worker(redis_url)
    assert export_ledger(row.id) == "skipped"
    files = list((Path(app.instance_path) / "exports").iterdir())
    assert [f.name for f in files] == [finished(row).file_name]


def test_downloads_are_for_the_desk_and_only_when_done(signed_in, world: World) -> None:
    row = exports.request_export(world.coordinator, date(2026, 3, 1), date(2026, 3, 2), "csv")
    db.session.commit()
    assert signed_in("coordinator").get(f"/desk/exports/{row.id}/download").status_code == 404
    assert signed_in("volunteer").get(f"/desk/exports/{row.id}/download").status_code == 403
    assert signed_in("captain").get(f"/desk/exports/{row.id}.json").status_code == 403


@pytest.mark.parametrize("dates", [
    {"date_from": "2026-03-31", "date_to": "2026-03-01"},
    {"date_from": "2025-01-01", "date_to": "2026-03-01"},
    {"date_from": "2026-02-30", "date_to": "2026-03-01"},
    {"date_from": "", "date_to": "2026-03-01"},
])
def test_a_bad_range_is_refused_and_nothing_is_stored(signed_in, dates: dict[str, str]) -> None:
    response = signed_in("coordinator").post("/desk/exports", {**dates, "file_format": "xlsx"})
    assert response.status_code == 422
    assert "invalid-feedback" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LedgerExport)) == 0


@pytest.mark.parametrize("dates", [
    {"date_from": "0001-01-01", "date_to": "0001-01-31"},
    {"date_from": "9999-12-31", "date_to": "9999-12-31"},
    {"date_from": "1999-12-31", "date_to": "2000-01-31"},
    {"date_from": "2100-12-01", "date_to": "2101-01-01"},
])
def test_dates_outside_2000_to_2100_are_a_form_error_not_a_failed_job(
        signed_in, dates: dict[str, str]) -> None:
    response = signed_in("coordinator").post("/desk/exports", {**dates, "file_format": "csv"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "invalid-feedback" in page and "2000 年至 2100 年" in page
    assert dates["date_from"] in page  # what was typed is kept
    assert db.session.scalar(select(func.count()).select_from(LedgerExport)) == 0


def test_the_first_and_last_day_allowed_convert_and_export(app: Flask, world: World,
                                                           redis_url: str) -> None:
    for first, last in ((date(2000, 1, 1), date(2000, 1, 31)),
                        (date(2100, 12, 1), date(2100, 12, 31))):
        row = exports.request_export(world.coordinator, first, last, "csv")
        db.session.commit()
        export_jobs.enqueue(row.id)
        run_worker(redis_url)
        assert finished(row).state == "done", finished(row).error


def test_a_failed_export_says_why_and_can_be_queued_again(app: Flask, signed_in,
                                                          redis_url: str,
                                                          ledger: list[Case]) -> None:
    blocker = Path(app.instance_path) / "exports"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")  # the job cannot create its folder
    client = signed_in("coordinator")
    row = request_export(client, "csv")
    run_worker(redis_url)
    row = finished(row)
    assert row.state == "failed" and "FileExistsError" in (row.error or "")
    page = client.get(f"/desk/exports/{row.id}").get_data(as_text=True)
    assert "FileExistsError" in page and f"/desk/exports/{row.id}/queue" in page

    blocker.unlink()
    assert client.post(f"/desk/exports/{row.id}/queue").status_code == 302
    run_worker(redis_url)
    assert finished(row).state == "done"
    assert client.post(f"/desk/exports/{row.id}/queue").status_code == 302  # refused: done
    assert finished(row).state == "done"


def test_with_redis_down_the_export_waits_and_queues_again_later(
        app: Flask, world: World, redis_outage: Callable[[], str], ledger: list[Case]) -> None:
    client = WebClient(app)
    client.login(world.coordinator.username)
    response = client.post("/desk/exports", {**RANGE, "file_format": "xlsx"},
                           follow_redirects=True)
    assert response.status_code == 200
    row = db.session.scalars(select(LedgerExport)).one()
    assert row.state == "queued"
    assert "Queue again" in response.get_data(as_text=True) or "重新排队" in \
        response.get_data(as_text=True)
    url = redis_outage()
    assert client.post(f"/desk/exports/{row.id}/queue").status_code == 302
    run_worker(url)
    assert finished(row).state == "done"


def test_progress_is_reported_after_every_batch(app: Flask, world: World, ledger: list[Case],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "BATCH", 2)
    row = exports.request_export(world.coordinator, date(2026, 3, 1), date(2026, 3, 31), "csv")
    seen: list[tuple[int, int]] = []
    name, written = exports.write_file(row.id, lambda done, total: seen.append((done, total)))
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]
    assert written == 5 and name.endswith(".csv")


def test_an_export_left_running_by_a_killed_worker_can_be_queued_again(
        signed_in, redis_url: str, ledger: list[Case]) -> None:
    client = signed_in("coordinator")
    row = request_export(client, "xlsx")
    # A worker took it and was killed: the row says running, its job is gone from Redis.
    assert exports.start(row.id)
    db.session.commit()
    redis.Redis.from_url(redis_url).delete(f"rq:job:ledger-export-{row.id}")
    assert export_jobs.may_queue_again(finished(row))
    assert client.post(f"/desk/exports/{row.id}/queue").status_code == 302
    run_worker(redis_url)
    assert finished(row).state == "done"


def test_a_running_export_with_its_job_alive_is_not_queued_twice(
        signed_in, ledger: list[Case]) -> None:
    client = signed_in("coordinator")
    row = request_export(client, "csv")  # its job waits in Redis
    assert exports.start(row.id)
    db.session.commit()
    assert not export_jobs.may_queue_again(finished(row))
    client.post(f"/desk/exports/{row.id}/queue")
    assert finished(row).state == "running"  # left alone
