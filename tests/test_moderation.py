"""Moderation: abusive text replaced and photos hidden on the public page, the original kept
in an internal ledger line with who changed it; desk only, on the version the page showed."""

from __future__ import annotations

from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, CasePhoto, PhotoStage
from dispatch.services.cases import lifecycle, moderation
from dispatch.services.permissions import Actor
from tests.factories import World, walk

ABUSE = "物业经理王某某是个骗子，电话13800001234"


def add_photo(case: Case, key: str) -> CasePhoto:
    photo = CasePhoto(case_id=case.id, key=key, stage=PhotoStage.REPORT, width=800,
                      height=600, size_bytes=1000)
    db.session.add(photo)
    db.session.flush()
    return photo


def fresh(case_id: int) -> Case:
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case is not None
    return case


def test_redacted_text_leaves_the_public_page_and_stays_in_an_internal_note(
        signed_in, web, world: World) -> None:
    world.case.description = ABUSE
    db.session.commit()
    desk = signed_in("coordinator")
    response = desk.post(f"/desk/cases/{world.case.id}/moderate", {
        "moderate-version": str(world.case.version), "moderate-field": "description",
        "moderate-replacement": "居民反映车棚问题（不文明用语已删除）"})
    assert response.status_code == 302
    public = web.get(f"/c/{world.case.tracking_code}").get_data(as_text=True)
    assert "骗子" not in public and "不文明用语已删除" in public
    case = fresh(world.case.id)
    line = case.events[-1]
    assert (line.action, line.internal, line.actor_id) == ("moderate", True,
                                                           world.coordinator.id)
    assert ABUSE in line.text
    assert ABUSE in desk.get(f"/desk/cases/{case.id}").get_data(as_text=True)


def test_hiding_text_without_a_replacement_puts_a_standard_line(world: World) -> None:
    world.case.title = "骂人的标题"
    moderation.redact(world.case, world.desk(), "title", "", world.case.version)
    db.session.commit()
    assert fresh(world.case.id).title == "（内容已由工作室隐去）"  # in the public's language


def test_a_moderated_feedback_comment_leaves_the_public_timeline(web, world: World) -> None:
    walk(world.case, world, "give_feedback", satisfied=False, rating=1,
         comment="干活的人都是废物")
    db.session.commit()
    assert "废物" in web.get(f"/c/{world.case.tracking_code}").get_data(as_text=True)
    moderation.redact(world.case, world.desk(), "feedback_comment", "不满意，认为没修好",
                      world.case.version)
    db.session.commit()
    public = web.get(f"/c/{world.case.tracking_code}").get_data(as_text=True)
    assert "废物" not in public and "不满意，认为没修好" in public and "1/5" in public


def test_a_hidden_photo_leaves_the_public_page_and_can_come_back(signed_in, web,
                                                                 world: World) -> None:
    photo = add_photo(world.case, "b" * 32)
    db.session.commit()
    public = f"/c/{world.case.tracking_code}"
    assert "b" * 32 in web.get(public).get_data(as_text=True)
    desk = signed_in("coordinator")
    url = f"/desk/cases/{world.case.id}/photos/{photo.id}/visibility"
    assert desk.post(url, {"photo-version": str(world.case.version),
                           "photo-hidden": "1"}).status_code == 302
    assert "b" * 32 not in web.get(public).get_data(as_text=True)
    case = fresh(world.case.id)
    assert case.events[-1].action == "moderate" and case.events[-1].internal
    assert desk.post(url, {"photo-version": str(case.version),
                           "photo-hidden": "0"}).status_code == 302
    assert "b" * 32 in web.get(public).get_data(as_text=True)


def test_moderating_a_stale_page_is_a_conflict_and_changes_nothing(signed_in,
                                                                   world: World) -> None:
    seen = world.case.version
    lifecycle.add_note(world.case, Actor.of(world.coordinator2), "刚刚来电补充")
    db.session.commit()
    count = db.session.scalar(select(func.count()).where(CaseEvent.case_id == world.case.id))
    response = signed_in("coordinator").post(f"/desk/cases/{world.case.id}/moderate", {
        "moderate-version": str(seen), "moderate-field": "title",
        "moderate-replacement": "新标题"})
    assert response.status_code == 409 and 'id="conflict"' in response.get_data(as_text=True)
    case = fresh(world.case.id)
    assert case.title == "车棚顶棚松动"
    assert db.session.scalar(select(func.count()).where(
        CaseEvent.case_id == case.id)) == count


def test_only_the_desk_may_moderate(signed_in, world: World) -> None:
    response = signed_in("captain").post(f"/desk/cases/{world.case.id}/moderate", {
        "moderate-version": str(world.case.version), "moderate-field": "title"})
    assert response.status_code == 403
    assert fresh(world.case.id).title == "车棚顶棚松动"
