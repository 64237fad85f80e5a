"""What an import refuses before it can break anything: numbers that are not numbers, cells
too long for a table, NUL bytes (PostgreSQL stores none), and workbooks that unpack to far
more text than they weigh. Every refusal is a 422 with a clear message and nothing kept."""

from __future__ import annotations

import io
import zipfile

from flask import Flask
from openpyxl import Workbook
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models.desk import ImportBatch
from tests.conftest import WebClient
from tests.factories import World

HEADER = "编号,标题,描述,类别,纬度,经度,地址"


def upload(desk: WebClient, data: bytes, name: str = "findings.csv"):  # type: ignore[no-untyped-def]
    return desk.post("/desk/import", {"file": (io.BytesIO(data), name)},
                     content_type="multipart/form-data")


def batches() -> list[ImportBatch]:
    db.session.expire_all()
    return list(db.session.scalars(select(ImportBatch)))


def batch_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ImportBatch)) or 0


def line(world: World, ref: str, latitude: str = "27.8548", longitude: str = "112.9563",
         description: str = "护栏立柱松动。") -> str:
    return f"{ref},护栏松动,{description},{world.category.code},{latitude},{longitude},荣通路"


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_long_text(data: bytes, placeholder: str, text: str) -> bytes:
    """The workbook with ``placeholder`` replaced by ``text`` in its sheet: openpyxl itself
    cuts what it writes at Excel's 32,767 characters, a crafted file need not."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                body = body.replace(placeholder.encode(), text.encode())
            target.writestr(info, body)
    return buffer.getvalue()


def english(desk: WebClient) -> WebClient:
    assert desk.post("/language", {"lang": "en", "next": "/"}).status_code == 302
    return desk


def test_nan_and_infinite_coordinates_are_row_errors_and_never_stored(signed_in, world: World
                                                                      ) -> None:
    desk = signed_in("coordinator")
    lines = [HEADER, line(world, "N-1", latitude="nan"), line(world, "N-2", longitude="inf"),
             line(world, "N-3", latitude="1e400"), line(world, "N-4", longitude="-Infinity"),
             line(world, "N-5")]
    response = upload(desk, "\n".join(lines).encode())
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    (batch,) = batches()
    verdicts = {row["ref"]: row["errors"] for row in batch.rows}
    for ref in ("N-1", "N-2", "N-3", "N-4"):
        assert [error[0] for error in verdicts[ref]] == ["not_number"], verdicts[ref]
    assert verdicts["N-5"] == []
    values = [v for row in batch.rows for v in (row["latitude"], row["longitude"])]
    assert all(v is None or -180 <= v <= 180 for v in values)  # no NaN, no infinity
    preview = desk.get(f"/desk/import/{batch.id}").get_data(as_text=True)
    assert preview.count('data-ok="no"') == 4 and "不是数字" in preview


def test_a_csv_cell_longer_than_the_limit_refuses_the_file(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    lines = [HEADER, line(world, "L-1"), line(world, "L-2", description="长" * 131_073)]
    response = upload(desk, "\n".join(lines).encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第 3 行" in page and "131072" in page
    assert batch_count() == 0


def test_a_quoted_csv_cell_over_the_reader_limit_is_refused_not_a_crash(
        signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    huge = '"' + "x\n" * 70_000 + '"'  # one quoted cell over many lines, 140,000 characters
    lines = [HEADER, line(world, "Q-1", description=huge)]
    response = english(desk).post("/desk/import", {
        "file": (io.BytesIO("\n".join(lines).encode()), "f.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "longer than 131072 characters" in response.get_data(as_text=True)
    assert batch_count() == 0


def test_an_xlsx_cell_longer_than_the_limit_refuses_the_file(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    data = with_long_text(xlsx([["title", "description", "category", "latitude", "longitude"],
                                ["护栏", "LONG", world.category.code, 27.8548, 112.9563]]),
                          "LONG", "长" * 131_073)
    response = upload(desk, data, "f.xlsx")
    assert response.status_code == 422
    assert "第 2 行" in response.get_data(as_text=True) and batch_count() == 0


def test_a_nul_byte_after_the_first_8_kb_refuses_the_file(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    lines = [HEADER] + [line(world, f"Z-{n}") for n in range(200)]
    lines.append(line(world, "Z-bad", description="井盖\x00破损"))
    data = "\n".join(lines).encode()
    assert data.index(b"\x00") > 8192
    response = upload(desk, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第 202 行" in page and "NUL" in page
    assert batch_count() == 0
    english_page = upload(english(desk), data).get_data(as_text=True)
    assert "Line 202 contains a NUL character" in english_page


def test_a_workbook_that_unpacks_to_too_much_text_is_refused_before_it_is_opened(
        app: Flask, signed_in, world: World) -> None:
    app.config["IMPORT_MAX_UNPACKED_BYTES"] = 200_000
    data = with_long_text(xlsx([["title", "description", "category", "latitude", "longitude"],
                                ["护栏", "LONG", world.category.code, 27.8548, 112.9563]]),
                          "LONG", "a" * 300_000)
    assert len(data) < 20_000  # small on disk, large once unpacked
    desk = signed_in("coordinator")
    response = upload(desk, data, "bomb.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "解压" in page and batch_count() == 0
    english_page = upload(english(desk), data, "bomb.xlsx").get_data(as_text=True)
    assert "once unpacked" in english_page


def test_a_zip_entry_declaring_a_huge_shared_strings_part_is_refused(
        signed_in, world: World) -> None:
    """The declared size is what zipfile will inflate up to: a 250 MB shared string in a
    file of a few hundred KB is refused by the default limit without being inflated."""
    good = xlsx([["title", "description", "category", "latitude", "longitude"],
                 ["护栏", "松动", world.category.code, 27.8548, 112.9563]])
    source = zipfile.ZipFile(io.BytesIO(good))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != "xl/sharedStrings.xml":
                target.writestr(info, source.read(info))
        with target.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                       b"<si><t>")
            chunk = b"a" * (1 << 20)
            for _ in range(40):  # 40 MB of text, a few tens of KB compressed
                part.write(chunk)
            part.write(b"</t></si></sst>")
    desk = signed_in("coordinator")
    response = upload(desk, buffer.getvalue(), "bomb.xlsx")
    assert response.status_code == 422 and batch_count() == 0


def test_a_broken_sheet_inside_a_good_zip_is_a_clear_error(signed_in, world: World) -> None:
    good = xlsx([["title", "description", "category", "latitude", "longitude"],
                 ["护栏", "松动", world.category.code, 27.8548, 112.9563]])
    source = zipfile.ZipFile(io.BytesIO(good))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                body = body[: len(body) // 2]  # cut in the middle of the XML
            target.writestr(info, body)
    response = upload(signed_in("coordinator"), buffer.getvalue(), "cut.xlsx")
    assert response.status_code == 422 and batch_count() == 0


def test_a_sheet_pointing_at_a_missing_shared_string_is_a_clear_error(signed_in, world: World
                                                                      ) -> None:
    good = xlsx([["title", "description", "category", "latitude", "longitude"],
                 ["护栏", "松动", world.category.code, 27.8548, 112.9563]])
    source = zipfile.ZipFile(io.BytesIO(good))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                body = body.replace('t="inlineStr"><is><t>护栏</t></is>'.encode(),
                                    b't="s"><v>7</v>')  # there is no shared string 7
            target.writestr(info, body)
    response = upload(signed_in("coordinator"), buffer.getvalue(), "bad.xlsx")
    assert response.status_code == 422 and "无法读取" in response.get_data(as_text=True)
    assert batch_count() == 0
