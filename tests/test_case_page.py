"""The desk case page over real HTTP: one-click assignment from the suggestions, a stale page
refused with the current state, merging a duplicate, escalating by hand, ready replies, and
the check before the reply whose comment reaches the volunteer's phone."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, CaseStatus, Notification, Supporter
from dispatch.services.cases import lifecycle
from dispatch.services.intake.filing import add_support
from dispatch.services.permissions import Actor
from dispatch.services.photos import StoredPhoto
from tests.factories import World, gen_case, take_step, walk

ONE_CLICK = re.compile(r'<form method="post" action="([^"]+)" class="one-click">(.*?)</form>',
                       re.DOTALL)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def one_click_forms(html: str) -> list[tuple[str, dict[str, str]]]:
    import html as html_lib
    return [(action, {name: html_lib.unescape(value) for name, value in HIDDEN.findall(body)})
            for action, body in ONE_CLICK.findall(html)]


def events(case_id: int) -> int:
    return db.session.scalar(select(func.count()).where(CaseEvent.case_id == case_id)) or 0


def fresh(case_id: int) -> Case:
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case is not None
    return case


def test_one_click_assign_takes_the_first_suggestion_with_the_handling_deadline(
        signed_in, world: World) -> None:
    take_step(world.case, "receive", world)
    db.session.commit()
    due = world.case.received_at + timedelta(hours=world.category.handle_hours)
    desk = signed_in("coordinator")
    page = desk.get(f"/desk/cases/{world.case.id}").get_data(as_text=True)
    assert 'id="suggestions"' in page and 'id="assign-due"' in page
    action, fields = one_click_forms(page)[0]
    assert action.endswith("/actions/assign") and fields["csrf_token"]
    response = desk.post(action, fields, token=False)  # the page's own token
    assert response.status_code == 302
    case = fresh(world.case.id)
    kind, _sep, number = fields["assign-assignee"].partition(":")
    assert (case.status, case.assigned_team_id or case.assigned_volunteer_id) == (
        CaseStatus.HANDLING, int(number))
    assert case.due_at == due
    assert case.events[-1].action == "assign" and case.events[-1].note


def test_a_registered_case_offers_receive_before_any_assignment(signed_in,
                                                                world: World) -> None:
    page = signed_in("coordinator").get(f"/desk/cases/{world.case.id}").get_data(as_text=True)
    assert 'class="d-flex gap-2 align-items-center mb-2 receive-first"' in page
    assert one_click_forms(page) == []


def test_a_stale_assignment_is_refused_with_what_changed_and_nothing_overwritten(
        signed_in, world: World) -> None:
    take_step(world.case, "receive", world)
    db.session.commit()
    desk = signed_in("coordinator")
    action, fields = one_click_forms(desk.get(f"/desk/cases/{world.case.id}")
                                     .get_data(as_text=True))[0]
    lifecycle.assign(world.case, Actor.of(world.coordinator2), team=world.outsider_team)
    db.session.commit()
    before = events(world.case.id)
    response = desk.post(action, fields, token=False)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert 'id="conflict"' in body and world.coordinator2.display_name in body
    assert world.outsider_team.name_zh in body  # the current assignee
    case = fresh(world.case.id)
    assert case.assigned_team_id == world.outsider_team.id and events(case.id) == before


def test_reassign_is_offered_with_suggestions(signed_in, world: World) -> None:
    walk(world.case, world, "assign")
    db.session.commit()
    forms = one_click_forms(signed_in("coordinator").get(f"/desk/cases/{world.case.id}")
                            .get_data(as_text=True))
    assert forms and all(a.endswith("/actions/reassign") for a, _f in forms)
    assert all(f["reassign-assignee"] != f"team:{world.team.id}" for _a, f in forms)


def test_merging_a_duplicate_carries_supporters_and_the_reporter(signed_in,
                                                                 world: World) -> None:
    original = world.case
    copy = gen_case(world.category, world.studio, reporter_phone="13900001111")
    add_support(original, "s" * 20)
    add_support(copy, "t" * 20, phone="13700002222")
    add_support(copy, "u" * 20)
    take_step(copy, "receive", world)
    db.session.commit()
    response = signed_in("coordinator").post(
        f"/desk/cases/{copy.id}/actions/mark_duplicate",
        {"mark_duplicate-version": str(copy.version),
         "mark_duplicate-original": original.tracking_code.lower()})
    assert response.status_code == 302
    original, copy = fresh(original.id), fresh(copy.id)
    assert (original.support_count, copy.support_count) == (4, 0)
    phones = db.session.execute(select(Supporter.phone, Supporter.submission_token)
                                .where(Supporter.case_id == original.id)).all()
    assert len(phones) == 4
    assert ("+8613900001111", f"merge:{copy.tracking_code}") in phones
    assert "+8613700002222" in {phone for phone, _token in phones}
    linked = original.events[-1]
    assert linked.action == "duplicate_linked" and copy.tracking_code in linked.text
    assert "2" in linked.text and not linked.internal
    assert copy.events[-1].action == "mark_duplicate"
    assert copy.duplicate_of_id == original.id


def test_a_reporter_without_phone_is_carried_over_without_one(world: World) -> None:
    copy = gen_case(world.category, world.studio, reporter_phone=None)
    take_step(copy, "receive", world)
    lifecycle.mark_duplicate(copy, world.desk(), world.case)
    db.session.commit()
    phone = db.session.scalar(select(Supporter.phone).where(
        Supporter.submission_token == f"merge:{copy.tracking_code}"))
    assert phone is None and fresh(world.case.id).support_count == 1


def test_escalating_by_hand_tells_the_lead_once_per_deadline(signed_in, world: World) -> None:
    take_step(world.case, "receive", world)
    world.coordinator2.is_studio_lead = True
    db.session.commit()
    desk = signed_in("coordinator")
    url = f"/desk/cases/{world.case.id}/escalate"
    response = desk.post(url, {"escalate-version": str(world.case.version),
                               "escalate-note": "居民第三次来电"})
    assert response.status_code == 302
    case = fresh(world.case.id)
    assert case.escalated_at is not None
    assert case.events[-1].action == "escalate" and "居民第三次来电" in case.events[-1].note
    told = db.session.scalars(select(Notification.user_id).where(
        Notification.key.startswith(f"{case.id}:{case.events[-1].seq}:"))).all()
    assert world.coordinator2.id in told
    before = events(case.id)
    again = desk.post(url, {"escalate-version": str(case.version), "escalate-note": "再次"})
    assert again.status_code == 409 and events(case.id) == before
    assert 'id="escalate"' not in desk.get(f"/desk/cases/{case.id}").get_data(as_text=True)


def test_a_ready_reply_is_sent_in_the_chosen_language_without_a_script(
        signed_in, world: World) -> None:
    walk(world.case, world, "check_work")
    db.session.commit()
    desk = signed_in("coordinator")
    page = desk.get(f"/desk/cases/{world.case.id}").get_data(as_text=True)
    assert 'data-text="您好！您反映的' in page
    response = desk.post(f"/desk/cases/{world.case.id}/actions/reply", {
        "reply-version": str(world.case.version), "reply-template": "fixed.en",
        "reply-text": ""})
    assert response.status_code == 302
    text = fresh(world.case.id).reply_text or ""
    assert text.startswith("Hello!") and world.case.title in text and "Team" in text


def test_a_ready_reply_defaults_to_chinese_and_typed_text_wins(signed_in,
                                                               world: World) -> None:
    from dispatch.services.cases import replies as reply_templates
    walk(world.case, world, "check_work")
    db.session.commit()
    assert (reply_templates.render(*reply_templates.parse("fixed"), world.case) or ""
            ).startswith("您好")
    response = signed_in("coordinator").post(f"/desk/cases/{world.case.id}/actions/reply", {
        "reply-version": str(world.case.version), "reply-template": "fixed.zh",
        "reply-text": "我们自己写的回复"})
    assert response.status_code == 302 and fresh(world.case.id).reply_text == "我们自己写的回复"


def test_the_check_panel_shows_the_finish_note_and_after_photos(signed_in,
                                                                world: World) -> None:
    walk(world.case, world, "arrive")
    lifecycle.finish(world.case, Actor.of(world.captain), "换了两块铁皮并加固",
                     photos=(StoredPhoto("a" * 32, 800, 600, 1000),))
    db.session.commit()
    page = signed_in("coordinator").get(f"/desk/cases/{world.case.id}").get_data(as_text=True)
    panel = page.split('id="check-panel"', 1)[1].split("</section>", 1)[0]
    assert "换了两块铁皮并加固" in panel and "a" * 32 + "_thumb" in panel
    assert world.captain.display_name in panel


def test_a_failed_check_comment_reaches_the_volunteers_phone(signed_in, world: World) -> None:
    walk(world.case, world, "finish")
    db.session.commit()
    checker = signed_in("coordinator2")
    response = checker.post(f"/desk/cases/{world.case.id}/actions/return_work", {
        "return_work-version": str(world.case.version),
        "return_work-note": "照片看不清铁皮是否固定，请补拍"})
    assert response.status_code == 302
    for who, path in (("captain", "/v/"), ("captain", "/v/team")):
        page = signed_in(who).get(path).get_data(as_text=True)
        assert "照片看不清铁皮是否固定，请补拍" in page and "returned-work" in page
    take_step(fresh(world.case.id), "arrive", world)
    take_step(world.case, "finish", world)
    db.session.commit()
    assert "照片看不清" not in signed_in("captain").get("/v/").get_data(as_text=True)


def test_not_ours_shows_its_reason_on_the_public_page(signed_in, web, world: World) -> None:
    take_step(world.case, "receive", world)
    db.session.commit()
    desk = signed_in("coordinator")
    page = desk.get(f"/desk/cases/{world.case.id}").get_data(as_text=True)
    assert 'name="mark_not_ours-reason"' in page
    desk.post(f"/desk/cases/{world.case.id}/actions/mark_not_ours", {
        "mark_not_ours-version": str(world.case.version),
        "mark_not_ours-reason": "路灯归供电公司管理，已告知报修电话"})
    public = web.get(f"/c/{world.case.tracking_code}").get_data(as_text=True)
    assert "路灯归供电公司管理，已告知报修电话" in public


def test_an_overdue_case_is_flagged_on_the_public_page(web, world: World) -> None:
    assert 'data-testid="overdue"' not in web.get(f"/c/{world.case.tracking_code}").get_data(
        as_text=True)
    world.case.due_at = world.case.created_at - timedelta(hours=1)
    db.session.commit()
    assert 'data-testid="overdue"' in web.get(f"/c/{world.case.tracking_code}").get_data(
        as_text=True)
