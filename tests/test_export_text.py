"""A resident's text may hold characters XML cannot: U+FFFF, U+FFFE, lone surrogates, C0
controls. They are dropped where a case is filed and in every cell an export writes, so
that one report never makes a day's workbooks unreadable."""

from __future__ import annotations

import io
import re

import redis
from flask import Flask
from openpyxl import load_workbook
from rq import Queue, SimpleWorker
from sqlalchemy import select, update

from dispatch.extensions import db
from dispatch.models import Case, utcnow
from dispatch.models.desk import LedgerExport
from dispatch.services.cases import lifecycle
from dispatch.services.clock import local
from dispatch.services.text import xml_safe
from tests.conftest import WebClient
from tests.factories import World, gen_case


def run_worker(redis_url: str) -> None:
    queue = Queue("default", connection=redis.Redis.from_url(redis_url))
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def download(client: WebClient, export_id: int) -> bytes:
    response = client.get(f"/desk/exports/{export_id}/download")
    assert response.status_code == 200
    body = bytes(response.get_data())
    response.close()  # send_file streams from an open file
    return body


def test_xml_safe_drops_exactly_what_xml_forbids() -> None:
    kept = "tab\t nl\n cr\r 中文 \x7f \u0085 \ud7ff \ue000 \ufffd \U0001f600"
    assert xml_safe(kept) == kept
    assert xml_safe("a\x00b\x08c\x0bd\x0ce\x1ff\ud800g\udfffh\ufffei\uffffj") == "abcdefghij"


BAD = "\uffff\ufffe\x01\x0b\x1f"  # all forbidden in XML 1.0, as are lone surrogates
# What a form can carry: control characters are refused at the door (views/params.py), the
# two non-characters get through and are dropped at filing.
BAD_TYPED = "\uffff\ufffe"


def test_xml_illegal_characters_are_dropped_at_filing_and_the_xlsx_still_opens(
        app: Flask, web: WebClient, signed_in, world: World, redis_url: str) -> None:
    page = web.get(f"/report/details?kind=hazard&category={world.category.code}"
                   "&lat=27.8655&lon=112.9468").get_data(as_text=True)
    token = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page)
    assert token
    filed = web.post("/report/details", {
        "kind": "hazard", "category": world.category.code, "lat": "27.8655",
        "lon": "112.9468", "address": f"天鹤村{BAD_TYPED}7栋",
        "submission_token": token.group(1),
        "description": f"车棚顶棚松动{BAD_TYPED}，风一吹就响", "name": f"王{BAD_TYPED}阿姨",
        "phone": "138 1234 5678"})
    assert filed.status_code == 302, filed.get_data(as_text=True)[-1500:]
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case is not None
    assert case.description == "车棚顶棚松动，风一吹就响" and case.address == "天鹤村7栋"
    assert case.reporter_name == "王阿姨"
    by_service = gen_case(world.category, world.studio, title="井盖\ud800破损\x00",
                          description="\udfff井盖破损\ufffe")
    assert (by_service.title, by_service.description) == ("井盖破损", "井盖破损")
    # Text that is already stored (filed before this rule, or a note) is cleaned at export.
    db.session.execute(update(Case).where(Case.id == by_service.id)
                       .values(description=f"旧{BAD}记录"))
    lifecycle.add_note(case, world.desk(), f"内部{BAD}备注")
    db.session.commit()

    desk = signed_in("coordinator")
    today = local(utcnow()).date().isoformat()
    response = desk.post("/desk/exports", {"date_from": today, "date_to": today,
                                           "file_format": "xlsx"})
    assert response.status_code == 302, response.get_data(as_text=True)
    run_worker(redis_url)
    export_id = int(response.headers["Location"].rsplit("/", 1)[1])
    db.session.expire_all()
    export = db.session.get(LedgerExport, export_id)
    assert export is not None and export.state == "done", export and export.error
    book = load_workbook(io.BytesIO(download(desk, export_id)))  # a malformed sheet raises
    texts = [str(c) for sheet in book.worksheets
             for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "车棚顶棚松动，风一吹就响" in texts and "旧记录" in texts and "内部备注" in texts
    assert not any(ch in text for text in texts for ch in BAD)
