"""Residents report from the phone: the two steps, photos, look-alikes, "me too", the
public page and feedback, over real HTTP forms."""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.geo.coords import TileCRS, gcj02_to_wgs84, wgs84_to_gcj02
from dispatch.models import Case, CaseKind, CasePhoto, CaseStatus, Supporter
from dispatch.services.cases import lifecycle
from dispatch.services.intake.filing import hash_feedback_key
from dispatch.services.permissions import Actor
from tests.conftest import WebClient, run_queued_jobs
from tests.factories import World, gen_case, walk

SPOT = (27.8655, 112.9468)  # inside the test region


def jpeg_bytes(size: tuple[int, int] = (640, 480), gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 80, 40))
    buffer = io.BytesIO()
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"
        exif[0x8825] = {1: "N", 2: (27.0, 51.0, 55.8), 3: "E", 4: (112.0, 56.0, 48.5)}
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def details_form(web: WebClient, world: World, **overrides: Any) -> dict[str, Any]:
    """What step 2's form would post: hidden fields from the page, plus the resident's."""
    page = web.get(f"/report/details?kind=hazard&category={world.category.code}"
                   f"&lat={SPOT[0]}&lon={SPOT[1]}").get_data(as_text=True)
    token = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page)
    assert token, "no submission token on step 2"
    data: dict[str, Any] = {
        "kind": "hazard", "category": world.category.code, "lat": str(SPOT[0]),
        "lon": str(SPOT[1]), "address": "天鹤村小区7栋旁", "submission_token": token.group(1),
        "description": "车棚顶棚松动，风一吹就响", "name": "王阿姨", "phone": "138 1234 5678",
    }
    data.update(overrides)
    return data


def count(model: type) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def stored_files(app: Flask) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"])
    return sorted(folder.glob("*")) if folder.exists() else []


def test_step_one_turns_a_map_pick_into_step_two(web: WebClient, world: World) -> None:
    response = web.get(f"/report?kind=hazard&category={world.category.code}"
                       f"&lat={SPOT[0]}&lon={SPOT[1]}&next=1")
    assert response.status_code == 302
    assert "/report/details?" in response.headers["Location"]
    assert f"lat={SPOT[0]:.6f}" in response.headers["Location"]


def test_step_one_without_a_place_says_so(web: WebClient, world: World) -> None:
    page = web.get(f"/report?kind=hazard&category={world.category.code}&next=1")
    assert page.status_code == 200
    assert "点击地图" in page.get_data(as_text=True)


def test_a_place_outside_the_service_area_is_refused(web: WebClient, world: World) -> None:
    page = web.get(f"/report?kind=hazard&category={world.category.code}"
                   "&lat=45.75&lon=126.63&next=1")
    assert page.status_code == 200 and "服务范围" in page.get_data(as_text=True)
    response = web.post("/report/details", details_form(web, world, lat="45.75", lon="126.63"))
    assert response.status_code == 422 and count(Case) == 1  # only the world's case


def test_a_filing_names_an_existing_category_of_its_kind(web: WebClient, world: World) -> None:
    """The category is looked up by its code on every post: an unknown one, or none, is
    refused; the form's own category files the case under it."""
    for code in ("no-such-category", ""):
        response = web.post("/report/details", details_form(web, world, category=code))
        assert response.status_code in (400, 422) and count(Case) == 1
    response = web.post("/report/details", details_form(web, world))
    assert response.status_code == 302 and count(Case) == 2
    filed = db.session.scalar(select(Case).order_by(Case.id.desc()).limit(1))
    assert filed is not None and filed.category_id == world.category.id


def test_gcj02_tiles_are_converted_back_to_wgs84_for_storage(app: Flask, web: WebClient,
                                                             world: World) -> None:
    app.config["TILE_CRS"] = TileCRS.GCJ02.value
    shown = wgs84_to_gcj02(*SPOT)
    response = web.get(f"/report?kind=hazard&category={world.category.code}"
                       f"&lat={shown[0]}&lon={shown[1]}&next=1")
    location = response.headers["Location"]
    lat = float(re.search(r"lat=([0-9.]+)", location).group(1))  # type: ignore[union-attr]
    lon = float(re.search(r"lon=([0-9.]+)", location).group(1))  # type: ignore[union-attr]
    assert abs(lat - SPOT[0]) < 1e-5 and abs(lon - SPOT[1]) < 1e-5
    assert gcj02_to_wgs84(*shown) == (lat, lon) or abs(gcj02_to_wgs84(*shown)[0] - lat) < 1e-6


def test_filing_with_a_photo_stores_the_case_the_photo_and_no_gps(
        app: Flask, web: WebClient, world: World) -> None:
    data = details_form(web, world)
    data["photos"] = [(io.BytesIO(jpeg_bytes(gps=True)), "IMG_0001.jpg")]
    response = web.post("/report/details", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case is not None and case.status == CaseStatus.REGISTERED
    assert case.reporter_phone == "+8613812345678" and case.reporter_name == "王阿姨"
    assert case.title.startswith("车棚顶棚松动")
    assert f"/c/{case.tracking_code}?filed=1&k=" in response.headers["Location"]
    [photo] = case.photos
    run_queued_jobs()  # the worker re-encodes it (tests/test_photo_processing.py: before)
    with Image.open(Path(app.config["UPLOAD_DIR"]) / f"{photo.key}.jpg") as stored:
        assert not stored.getexif() and "exif" not in stored.info
    landing = web.get(response.headers["Location"]).get_data(as_text=True)
    assert case.tracking_code in landing and "<svg" in landing  # the QR code
    assert f"/media/{photo.key}_thumb.jpg" in landing
    thumb = web.get(f"/media/{photo.key}_thumb.jpg")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert thumb.get_data()[:2] == b"\xff\xd8"
    thumb.close()


def test_a_double_tapped_submit_files_one_case(web: WebClient, world: World) -> None:
    data = details_form(web, world)
    first = web.post("/report/details", dict(data))
    second = web.post("/report/details", dict(data))
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Case) == 2  # the world's case and this one


def test_two_taps_arriving_together_file_one_case(app: Flask, world: World) -> None:
    web = WebClient(app)
    data = details_form(web, world)
    data["csrf_token"] = web.csrf("/")
    locations: list[str] = []
    barrier = threading.Barrier(2)

    def tap() -> None:
        barrier.wait()
        with app.app_context():
            response = web.client.post("/report/details", data=dict(data))
        locations.append(response.headers.get("Location", str(response.status_code)))

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(locations) == 2 and locations[0] == locations[1], locations
    assert count(Case) == 2


def bad_upload_case(web: WebClient, world: World, payload: bytes, name: str) -> Any:
    data = details_form(web, world)
    data["photos"] = [(io.BytesIO(payload), name)]
    return web.post("/report/details", data, content_type="multipart/form-data")


def test_bad_photos_get_a_form_error_and_nothing_is_stored(app: Flask, web: WebClient,
                                                           world: World) -> None:
    polyglot = jpeg_bytes() + b"<html><script>alert(1)</script></html>" * 4
    renamed = b"%PDF-1.4 not a photo at all"
    corrupt = jpeg_bytes()[:600]
    oversized = jpeg_bytes() + b"\0" * (10 * 1024 * 1024)
    for payload, name in ((polyglot, "x.jpg"), (renamed, "photo.jpg"), (corrupt, "c.jpg"),
                          (oversized, "big.jpg")):
        response = bad_upload_case(web, world, payload, name)
        body = response.get_data(as_text=True)
        assert response.status_code == 422, name
        assert 'class="field-error"' in body
        assert "车棚顶棚松动，风一吹就响" in body  # the rest of the form is kept
    assert count(Case) == 1 and count(CasePhoto) == 0
    assert stored_files(app) == []


def test_an_empty_description_and_a_bad_phone_get_errors_in_chinese(
        web: WebClient, world: World) -> None:
    response = web.post("/report/details", details_form(web, world, description=""))
    assert response.status_code == 422 and "请描述问题" in response.get_data(as_text=True)
    response = web.post("/report/details", details_form(web, world, phone="12345"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "电话号码格式不正确" in body
    assert count(Case) == 1


def test_the_english_form_errors_are_in_english(web: WebClient, world: World) -> None:
    web.post("/language", {"lang": "en", "next": "/"})
    response = web.post("/report/details", details_form(web, world, description=""))
    assert "Please describe the problem." in response.get_data(as_text=True)


def test_wtforms_own_messages_follow_each_visitors_language(app: Flask, world: World) -> None:
    """WTForms' messages come from its catalog, read once per process and language: a
    Chinese visitor and an English one, one after the other, each read their own."""
    chinese, english = WebClient(app), WebClient(app)
    english.post("/language", {"lang": "en", "next": "/"})
    for _round in range(2):
        for client, words in ((chinese, "字段长度不能超过 60 个字符"),
                              (english, "Field cannot be longer than 60 characters.")):
            response = client.post("/report/details", details_form(client, world,
                                                                    name="王" * 61))
            assert response.status_code == 422 and words in response.get_data(as_text=True)


def test_lookalikes_nearby_are_offered_before_the_details(web: WebClient,
                                                         world: World) -> None:
    near = gen_case(world.category, title="车棚顶棚掉了一块", latitude=SPOT[0] + 0.0005,
                    longitude=SPOT[1])  # about 55 m north
    gen_case(world.category, title="三百米外的车棚", latitude=SPOT[0] + 0.003,
             longitude=SPOT[1])
    closed = gen_case(world.category, title="已归档的车棚", latitude=SPOT[0],
                      longitude=SPOT[1] + 0.0003)
    walk(closed, world, "archive")
    db.session.commit()
    page = web.get(f"/report/details?kind=hazard&category={world.category.code}"
                   f"&lat={SPOT[0]}&lon={SPOT[1]}").get_data(as_text=True)
    assert "车棚顶棚掉了一块" in page and f"/c/{near.tracking_code}/support" in page
    assert "三百米外的车棚" not in page and "已归档的车棚" not in page


def test_me_too_counts_once_per_form_and_keeps_the_phone(web: WebClient, world: World) -> None:
    code = world.case.tracking_code
    page = web.get(f"/c/{code}").get_data(as_text=True)
    token = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page)
    assert token
    form = {"submission_token": token.group(1), "phone": "13900001111"}
    assert web.post(f"/c/{code}/support", dict(form)).status_code == 302
    assert web.post(f"/c/{code}/support", dict(form)).status_code == 302  # double tap
    db.session.expire_all()
    assert world.case.support_count == 1
    assert db.session.scalar(select(Supporter.phone)) == "+8613900001111"
    assert "13900001111" not in web.get(f"/c/{code}").get_data(as_text=True)


def test_me_too_on_a_closed_case_is_refused(web: WebClient, world: World) -> None:
    walk(world.case, world, "archive")
    db.session.commit()
    response = web.post(f"/c/{world.case.tracking_code}/support",
                        {"submission_token": "x" * 24})
    assert response.status_code == 409 and world.case.support_count == 0


def test_a_wish_is_shown_only_to_about_100_metres(web: WebClient, world: World) -> None:
    wish = gen_case(world.category, kind=CaseKind.WISH, title="想要一盏护眼台灯",
                    latitude=27.865537, longitude=112.946812, address="新塘村3栋2单元401")
    db.session.commit()
    page = web.get(f"/c/{wish.tracking_code}").get_data(as_text=True)
    assert "27.865537" not in page and "112.946812" not in page
    assert "27.866" in page and "112.947" in page
    assert "新塘村3栋2单元401" not in page


def test_the_resident_gives_feedback_after_the_reply(signed_in, web: WebClient,
                                                     world: World) -> None:
    code = world.case.tracking_code
    world.case.feedback_key_hash = hash_feedback_key("the-residents-key")
    assert "is_satisfied" not in web.get(f"/c/{code}").get_data(as_text=True)
    walk(world.case, world, "reply")
    db.session.commit()
    page = web.get(f"/c/{code}?k=the-residents-key").get_data(as_text=True)
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page)
    assert version, "no feedback form after the reply"
    response = web.post(f"/c/{code}/feedback", {
        "key": "the-residents-key", "version": version.group(1), "satisfied": "no", "rating": "2",
        "comment": "用了两天又坏了", "fixed": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert world.case.status == CaseStatus.FEEDBACK and world.case.feedback_satisfied is False
    last = world.case.events[-1]
    assert (last.action, last.actor_role) == ("give_feedback", "resident")
    desk = signed_in("coordinator").get(f"/desk/cases/{world.case.id}").get_data(as_text=True)
    assert 'data-action="reopen"' in desk


def test_filing_is_rate_limited_with_a_friendly_message(app: Flask, web: WebClient,
                                                        world: World) -> None:
    app.config["REPORT_LIMITS"] = "2 per hour"
    codes = [web.post("/report/details", details_form(web, world)).status_code
             for _ in range(3)]
    assert codes == [302, 302, 429]
    refused = web.post("/report/details", details_form(web, world, description="楼梯扶手松了"))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "之后再提交" in page and "楼梯扶手松了" in page  # when, and what was typed


def test_only_accepted_filings_count_toward_the_limit(app: Flask, web: WebClient,
                                                      world: World) -> None:
    app.config["REPORT_LIMITS"] = "2 per hour"
    refused = [web.post("/report/details", details_form(web, world, description=""))
               .status_code for _ in range(3)]
    assert refused == [422, 422, 422]  # typing mistakes are not filings
    codes = [web.post("/report/details", details_form(web, world)).status_code
             for _ in range(3)]
    assert codes == [302, 302, 429]



def test_user_text_is_escaped_everywhere_including_map_popups(signed_in, web: WebClient,
                                                              world: World) -> None:
    evil = "<img src=x onerror=alert(1)><script>alert(2)</script>`${alert(3)}`"
    case = gen_case(world.category, title=evil, description=evil, reporter_name=evil)
    db.session.commit()
    pages = [web.get(f"/c/{case.tracking_code}").get_data(as_text=True)]
    desk = signed_in("coordinator")
    pages += [desk.get("/desk/cases").get_data(as_text=True),
              desk.get(f"/desk/cases/{case.id}").get_data(as_text=True)]
    for page in pages:
        assert "<img src=x" not in page and "<script>alert" not in page
        scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)
        # Folium puts popups and tooltips in JS template literals: nothing may run there.
        assert not any("${alert" in script or "`${" in script for script in scripts)
    public_script = re.findall(r"<script[^>]*>(.*?)</script>", pages[0], flags=re.S)
    assert any("&lt;img src=x" in script for script in public_script)  # the map has it


def test_photos_of_hidden_or_unknown_keys_are_not_served(web: WebClient, world: World) -> None:
    photo = CasePhoto(case_id=world.case.id, key="a" * 32, stage="report", width=1, height=1,
                      size_bytes=1, hidden=True)
    db.session.add(photo)
    db.session.commit()
    assert web.get(f"/media/{'a' * 32}.jpg").status_code == 404
    assert web.get(f"/media/{'b' * 32}.jpg").status_code == 404
    assert web.get("/media/..%2f..%2fsecret_key.jpg").status_code == 404


def test_my_reports_api_gives_statuses_without_personal_data(web: WebClient,
                                                            world: World) -> None:
    lifecycle.receive(world.case, Actor.of(world.coordinator))
    db.session.commit()
    rows = web.get(f"/api/cases/status?codes={world.case.tracking_code},NOPE").get_json()
    assert rows == [{"code": world.case.tracking_code, "title": world.case.title,
                     "status": "received", "status_label": "已接待", "overdue": False,
                     "url": f"/c/{world.case.tracking_code}"}]


def test_place_search_finds_own_places_by_any_part_of_either_name(
        app: Flask, web: WebClient) -> None:
    app.test_cli_runner().invoke(args=["seed-demo"])
    by_chinese = web.get("/api/places?q=天鹤").get_json()
    by_english = web.get("/api/places?q=rest station").get_json()
    assert any(m["name"] == "天鹤村小区" for m in by_chinese)
    assert by_english and all(m["source"] == "own" for m in by_english)
    page = web.get("/report?q=荣通").get_data(as_text=True)
    assert "荣通二号路" in page and "crs=wgs84" in page


def test_pages_load_no_script_or_style_from_outside(web: WebClient, world: World) -> None:
    for path in ("/", "/report", f"/c/{world.case.tracking_code}", "/my-reports",
                 f"/report/details?kind=hazard&category={world.category.code}"
                 f"&lat={SPOT[0]}&lon={SPOT[1]}"):
        page = web.get(path).get_data(as_text=True)
        outside = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
        assert outside == [], (path, outside)
        assert "cdn.jsdelivr" not in page and "cdnjs" not in page
