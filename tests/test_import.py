"""Batch import of inspection findings: upload, a verdict per row, one transaction, once."""

from __future__ import annotations

import io
import re
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, CaseKind, CaseStatus, User
from dispatch.models.desk import ImportBatch
from dispatch.services.intake import imports
from tests.conftest import WebClient
from tests.factories import World, gen_case, gen_category, gen_region, gen_studio

SAMPLES = Path(__file__).parent.parent / "docs" / "samples"
HEADER_ZH = "编号,标题,描述,类别,纬度,经度,地址"


def csv_bytes(lines: list[str], encoding: str = "utf-8-sig") -> bytes:
    return "\n".join(lines).encode(encoding)


def good_lines(world: World, refs: tuple[str, ...] = ("ZC-01", "ZC-02", "ZC-03")) -> list[str]:
    code = world.category.code
    return [HEADER_ZH] + [
        f"{ref},荣通二号路护栏松动{n},护栏立柱松动，需要加固。,{code},27.8548,112.9563,荣通二号路"
        for n, ref in enumerate(refs)]


def upload(desk: WebClient, data: bytes, name: str = "findings.csv"):  # type: ignore[no-untyped-def]
    return desk.post("/desk/import", {"file": (io.BytesIO(data), name)},
                     content_type="multipart/form-data")


def batch_id_of(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    match = re.search(r"/desk/import/(\d+)$", response.headers["Location"])
    assert match
    return int(match.group(1))


def inspection_cases() -> list[Case]:
    db.session.expire_all()
    return list(db.session.scalars(select(Case).where(Case.kind == CaseKind.INSPECTION)))


def batches() -> int:
    return db.session.scalar(select(func.count()).select_from(ImportBatch)) or 0


def test_a_good_file_is_previewed_then_imported_with_ledger_rows(signed_in, world: World
                                                                 ) -> None:
    desk = signed_in("coordinator")
    batch_id = batch_id_of(upload(desk, csv_bytes(good_lines(world))))
    preview = desk.get(f"/desk/import/{batch_id}").get_data(as_text=True)
    assert preview.count('data-ok="yes"') == 3 and preview.count(" checked") == 3
    response = desk.post(f"/desk/import/{batch_id}", {"rows": ["0", "1", "2"]})
    assert response.status_code == 302 and "kind=inspection" in response.headers["Location"]
    cases = inspection_cases()
    assert sorted(c.external_ref or "" for c in cases) == ["ZC-01", "ZC-02", "ZC-03"]
    assert {c.studio_id for c in cases} == {world.studio.id}  # the nearest studio
    events = db.session.scalars(select(CaseEvent).where(
        CaseEvent.case_id.in_([c.id for c in cases])))
    assert {(e.action, e.actor_id) for e in events} == {("register", world.coordinator.id),
                                                       ("receive", world.coordinator.id)}
    assert "3" in desk.get("/desk/cases?kind=inspection").get_data(as_text=True)


def test_wrong_columns_are_one_clear_error_and_nothing_is_kept(signed_in, world: World
                                                               ) -> None:
    desk = signed_in("coordinator")
    response = upload(desk, csv_bytes(["name,desc,lat", "a,b,27.8"]))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "标题 (title)" in page and "经度 (longitude)" in page and "name" in page
    assert batches() == 0 and inspection_cases() == []


def test_bad_rows_are_flagged_and_only_good_rows_can_be_imported(signed_in, world: World
                                                                 ) -> None:
    desk = signed_in("coordinator")
    code = world.category.code
    lines = [HEADER_ZH,
             f"B-1,路灯不亮,三盏路灯不亮。,{code},27.8548,112.9563,",
             "B-2,井盖破损,井盖破损。,no-such-category,27.8548,112.9563,",
             f"B-3,坐标写错,纬度不是数字。,{code},abc,112.9563,",
             f"B-4,很远的地方,在服务范围外。,{code},40.0,100.0,",
             f"B-5,经纬度反了,经纬度填反。,{code},112.9563,27.8548,",
             f"B-1,重复编号,同一个编号。,{code},27.8548,112.9563,",
             f",,没有标题。,{code},27.8548,112.9563,"]
    batch_id = batch_id_of(upload(desk, csv_bytes(lines, "gb18030"), "自查.csv"))
    preview = desk.get(f"/desk/import/{batch_id}").get_data(as_text=True)
    assert preview.count('data-ok="no"') == 6 and preview.count('data-ok="yes"') == 1
    for text in ("no-such-category", "abc", "似乎填反了", "不在工作室服务范围内",
                 "与第 2 行重复", "缺少标题"):  # the verdicts, in the reader's language
        assert text in preview
    assert preview.count(" disabled") >= 6
    selecting_bad = desk.post(f"/desk/import/{batch_id}", {"rows": ["0", "1"], "skip_bad": "y"})
    assert selecting_bad.status_code == 422 and "第 3" in selecting_bad.get_data(True)
    unconfirmed = desk.post(f"/desk/import/{batch_id}", {"rows": ["0"]})
    assert unconfirmed.status_code == 422 and inspection_cases() == []
    done = desk.post(f"/desk/import/{batch_id}", {"rows": ["0"], "skip_bad": "y"})
    assert done.status_code == 302
    assert [c.external_ref for c in inspection_cases()] == ["B-1"]


def test_a_file_of_100000_rows_is_refused_by_the_row_limit(signed_in, world: World,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("title,description,category,latitude,longitude\n")
        for n in range(100_000):
            handle.write(f"t{n},d,{world.category.code},27.86,112.95\n")
    desk = signed_in("coordinator")
    with path.open("rb") as handle:
        response = desk.post("/desk/import", {"file": (handle, "huge.csv")},
                             content_type="multipart/form-data")
    assert response.status_code == 422
    assert "2000" in response.get_data(as_text=True)
    assert batches() == 0 and inspection_cases() == []


def test_an_xlsx_file_with_english_headers_is_read(signed_in, world: World) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Title", "Description", "Category", "Latitude", "Longitude", "Ref", "Note"])
    sheet.append(["桥头跳车", "南桥头路面沉降。", world.category.name_en, 27.8548, 112.9563,
                  1001, "ignored"])
    sheet.append(["栏杆锈蚀", "", world.category.name_zh, 27.8549, 112.9564, 1002, ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    desk = signed_in("coordinator")
    response = upload(desk, buffer.getvalue(), "findings.xlsx")
    batch_id = batch_id_of(response)
    assert "以下列无法识别" in desk.get(f"/desk/import/{batch_id}").get_data(as_text=True)
    assert desk.post(f"/desk/import/{batch_id}", {"rows": ["0", "1"]}).status_code == 302
    cases = {c.external_ref: c for c in inspection_cases()}
    assert set(cases) == {"1001", "1002"}
    assert cases["1002"].description == "栏杆锈蚀"  # an empty description takes the title


def test_a_binary_file_is_refused(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    response = upload(desk, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100), "photo.csv")
    assert response.status_code == 422 and batches() == 0


def test_a_double_submit_imports_once(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    batch_id = batch_id_of(upload(desk, csv_bytes(good_lines(world))))
    first = desk.post(f"/desk/import/{batch_id}", {"rows": ["0", "1", "2"]})
    second = desk.post(f"/desk/import/{batch_id}", {"rows": ["0", "1", "2"]})
    assert first.status_code == 302 and second.status_code == 302
    assert "已经导入过" in desk.get(second.headers["Location"]).get_data(True)
    assert len(inspection_cases()) == 3
    batch = db.session.get(ImportBatch, batch_id)
    assert batch is not None and batch.imported_count == 3


def test_a_reference_already_in_the_database_is_flagged(signed_in, world: World) -> None:
    gen_case(world.category, world.studio, external_ref="ZC-02", kind=CaseKind.INSPECTION)
    db.session.commit()
    desk = signed_in("coordinator")
    batch_id = batch_id_of(upload(desk, csv_bytes(good_lines(world))))
    preview = desk.get(f"/desk/import/{batch_id}").get_data(as_text=True)
    assert "编号 ZC-02 已经导入过" in preview and preview.count('data-ok="no"') == 1


def test_the_import_is_all_or_nothing_when_a_reference_is_taken_meanwhile(
        signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    batch_id = batch_id_of(upload(desk, csv_bytes(good_lines(world))))
    # Between the preview and the import, someone else files a finding with ref ZC-03.
    gen_case(world.category, world.studio, external_ref="ZC-03", kind=CaseKind.INSPECTION)
    db.session.commit()
    response = desk.post(f"/desk/import/{batch_id}", {"rows": ["0", "1", "2"]})
    assert response.status_code == 409
    assert "未导入任何数据" in response.get_data(as_text=True)
    assert [c.external_ref for c in inspection_cases()] == ["ZC-03"]  # zero from the batch
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch_id)
    assert batch is not None and batch.imported_at is None
    assert batch.rows[2]["errors"] and not batch.rows[0]["errors"]
    retry = desk.post(f"/desk/import/{batch_id}", {"rows": ["0", "1"], "skip_bad": "y"})
    assert retry.status_code == 302
    assert sorted(c.external_ref or "" for c in inspection_cases()) == ["ZC-01", "ZC-02",
                                                                       "ZC-03"]


def test_the_sample_files_have_25_good_findings_in_taishan(signed_in, world: World) -> None:
    taishan = gen_region(latitude=22.25, longitude=112.79)
    gen_studio(taishan, code="ts_highway", latitude=22.2538, longitude=112.7871)
    for code, name in (("road_defect", "道路病害"), ("traffic_safety", "交通安全设施"),
                       ("greening", "绿化破坏"), ("environment", "环境卫生"),
                       ("facility_hazard", "设施安全隐患")):
        gen_category(code=code, name_zh=name)
    db.session.commit()
    desk = signed_in("coordinator")
    for name in ("inspection-findings.csv", "inspection-findings.xlsx"):
        sample = desk.get(f"/desk/import/sample.{name.rsplit('.', 1)[1]}")
        assert sample.status_code == 200 and sample.get_data() == (SAMPLES / name).read_bytes()
        sample.close()
        batch_id = batch_id_of(upload(desk, (SAMPLES / name).read_bytes(), name))
        batch = db.session.get(ImportBatch, batch_id)
        assert batch is not None and len(batch.rows) == 25
        assert [row["line"] for row in batch.rows if row["errors"]] == []


def test_two_imports_of_one_batch_at_the_same_moment_import_it_once(
        app: Flask, signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    batch_id = batch_id_of(upload(desk, csv_bytes(good_lines(world))))
    results: dict[str, Any] = {}
    ready = {name: threading.Event() for name in ("a", "b")}
    go = {name: threading.Event() for name in ("a", "b")}
    hold, imported_a = threading.Event(), threading.Event()

    def run(name: str, user_id: int) -> None:
        with app.app_context():
            try:
                batch = db.session.get(ImportBatch, batch_id)
                user = db.session.get(User, user_id)
                assert batch is not None and user is not None and batch.imported_at is None
                ready[name].set()
                go[name].wait(10)
                created = imports.import_batch(batch, [0, 1, 2], user, skip_bad=False)
                if name == "a":
                    imported_a.set()
                    hold.wait(10)  # A keeps its transaction open: B must wait for it
                db.session.commit()
                results[name] = len(created)
            except Exception as error:  # noqa: BLE001  (reported by the test)
                db.session.rollback()
                results[name] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=("a", world.coordinator.id)),
               threading.Thread(target=run, args=("b", world.coordinator2.id))]
    for thread in threads:
        thread.start()
    assert ready["a"].wait(10) and ready["b"].wait(10)  # both saw it not yet imported
    go["a"].set()
    assert imported_a.wait(20), results  # A has written, not committed (waited, not slept)
    go["b"].set()
    time.sleep(0.3)  # B now waits on A's lock (or, if slower, finds A's import done)
    hold.set()
    for thread in threads:
        thread.join(30)
    assert results["a"] == 3, results
    assert isinstance(results["b"], imports.AlreadyImported), results
    assert len(inspection_cases()) == 3


def test_imported_findings_are_received_at_once_and_published_on_the_task_list(
        signed_in, web, world: World) -> None:
    desk = signed_in("coordinator")
    batch_id = batch_id_of(upload(desk, csv_bytes(good_lines(world))))
    assert desk.post(f"/desk/import/{batch_id}", {"rows": ["0", "1", "2"]}).status_code == 302
    cases = inspection_cases()
    assert {c.status for c in cases} == {CaseStatus.RECEIVED}
    for case in cases:  # on the handling clock, not 8 hours to be received one by one
        assert case.due_at == case.received_at + timedelta(hours=case.category.handle_hours)
    wall = web.get("/wall").get_data(as_text=True)
    assert all(f'data-case="{c.tracking_code}"' in wall for c in cases)


def test_a_rows_error_is_worded_in_one_language_with_its_column(app: Flask) -> None:
    with app.test_request_context("/"):
        with force_locale("en"):
            english = imports.describe(["not_number", {"field": "latitude", "value": "abc"}])
        with force_locale("zh"):
            chinese = imports.describe(["not_number", {"field": "latitude", "value": "abc"}])
    assert "latitude" in english and "纬度" not in english
    assert "纬度" in chinese
    with app.test_request_context("/"), force_locale("en"):  # a batch checked before
        assert "纬度" in imports.describe(["not_number", {"column": "纬度", "value": "x"}])
