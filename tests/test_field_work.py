"""Field work that explains itself: whoever holds the work sees what to do next (or why
not), what was sent back and why, the original text, and each step offered once."""

from __future__ import annotations

from flask_babel import force_locale as world_locale
from flask_babel import format_datetime
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, CaseKind, Channel, InboxMessage, Notification
from dispatch.services.cases import claims, lifecycle, moderation, team_work
from dispatch.services.permissions import Actor
from dispatch.services.text import listing
from tests.factories import World, walk
from tests.test_reports import details_form


def card_of(page: str, case_id: int) -> str:
    start = page.index(f'data-case="{case_id}"')
    end = page.find("</article>", start)
    return page[start:end]


def test_work_shared_out_before_it_was_accepted_can_be_accepted_by_the_member(
        signed_in, world: World) -> None:
    walk(world.case, world, "assign")
    team_work.share_out(world.case, Actor.of(world.captain), world.member)
    db.session.commit()
    member = signed_in("member")
    card = card_of(member.get("/v/").get_data(as_text=True), world.case.id)
    assert 'data-action="accept"' in card
    response = member.post(f"/v/cases/{world.case.id}/actions/accept",
                           {"accept-version": str(world.case.version)})
    assert response.status_code == 302
    db.session.expire_all()
    assert world.case.assignment_status.value == "accepted"


def test_a_card_without_a_step_says_who_has_the_next_one(signed_in, world: World) -> None:
    walk(world.case, world, "assign")  # the captain has not accepted it yet
    db.session.commit()
    card = card_of(signed_in("member").get("/v/").get_data(as_text=True), world.case.id)
    assert 'data-action=' not in card
    assert 'class="next-step"' in card and world.captain.display_name in card


def test_work_sent_back_after_an_unsatisfied_resident_shows_the_complaint_and_the_note(
        signed_in, world: World) -> None:
    walk(world.case, world, "give_feedback", satisfied=False, rating=2,
         comment="顶棚还在晃，螺丝没拧紧")
    lifecycle.reopen(world.case, world.desk(), note="请再去加固一次，带上扳手")
    db.session.commit()
    card = card_of(signed_in("captain").get("/v/").get_data(as_text=True), world.case.id)
    assert 'class="returned-work"' in card
    assert "顶棚还在晃，螺丝没拧紧" in card and "请再去加固一次，带上扳手" in card
    team_card = card_of(signed_in("captain").get("/v/team").get_data(as_text=True),
                        world.case.id)
    assert "顶棚还在晃，螺丝没拧紧" in team_card


def test_no_action_form_offers_a_note_it_would_drop(signed_in, world: World) -> None:
    walk(world.case, world, "check_work")
    db.session.commit()
    desk = signed_in("coordinator")
    page = desk.get(f"/desk/cases/{world.case.id}").get_data(as_text=True)
    assert 'name="reply-text"' in page and 'name="reply-note"' not in page
    walk_on = lifecycle.reply(world.case, world.desk(), "已处理")
    db.session.commit()
    page = desk.get(f"/desk/cases/{walk_on.id}").get_data(as_text=True)
    assert 'name="give_feedback-comment"' in page and 'name="give_feedback-note"' not in page


def test_the_team_doing_the_work_reads_the_text_as_the_resident_wrote_it(
        signed_in, web, world: World) -> None:
    walk(world.case, world, "accept")
    original = world.case.description
    moderation.redact(world.case, world.desk(), "description", "（已删除）",
                      expected_version=world.case.version)
    moderation.redact(world.case, world.desk(), "description", "（再次修改）",
                      expected_version=world.case.version)
    db.session.commit()
    card = card_of(signed_in("captain").get("/v/").get_data(as_text=True), world.case.id)
    assert original in card and "已删除" not in card
    assert original in card_of(signed_in("captain").get("/v/team").get_data(as_text=True),
                               world.case.id)
    public = web.get(f"/c/{world.case.tracking_code}").get_data(as_text=True)
    assert original not in public and "再次修改" in public


def ledger_count(case_id: int, action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == case_id, CaseEvent.action == action)) or 0


def test_on_my_way_is_recorded_once_per_round_of_work(signed_in, web, world: World) -> None:
    walk(world.case, world, "accept")
    db.session.commit()
    captain = signed_in("captain")
    for _tap in range(3):
        assert captain.post(f"/v/cases/{world.case.id}/on-the-way").status_code == 302
    assert ledger_count(world.case.id, "on_the_way") == 1
    card = card_of(captain.get("/v/").get_data(as_text=True), world.case.id)
    assert "/on-the-way" not in card  # the button is gone, the time is shown instead
    public = web.get(f"/c/{world.case.tracking_code}").get_data(as_text=True)
    assert public.count("<b>On the way</b>") + public.count("<b>出发</b>") <= 1
    # Sent back after a failed check: a new round, a new "on my way".
    db.session.refresh(world.case)
    lifecycle.arrive(world.case, Actor.of(world.captain))
    lifecycle.finish(world.case, Actor.of(world.captain), note="已加固")
    lifecycle.return_work(world.case, world.desk(), note="照片看不清")
    db.session.commit()
    assert captain.post(f"/v/cases/{world.case.id}/on-the-way").status_code == 302
    assert ledger_count(world.case.id, "on_the_way") == 2


def test_the_browser_that_filed_a_report_cannot_also_say_me_too(world: World, web) -> None:
    filed = web.post("/report/details", details_form(web, world))
    assert filed.status_code == 302
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case is not None
    code = case.tracking_code
    page = web.get(f"/c/{code}").get_data(as_text=True)
    assert "/support" not in page
    token = "t" * 24
    web.post(f"/c/{code}/support", {"submission_token": token})
    db.session.expire_all()
    assert case.support_count == 0


def test_a_passed_check_is_not_followed_by_an_offer_to_fail_it(signed_in, world: World
                                                               ) -> None:
    walk(world.case, world, "check_work")
    db.session.commit()
    page = signed_in("coordinator").get(f"/desk/cases/{world.case.id}").get_data(as_text=True)
    assert 'data-action="reply"' in page and 'data-action="return_work"' not in page


def test_a_claim_shows_one_deadline_and_a_countdown_that_agrees(signed_in, world: World
                                                               ) -> None:
    world.case.kind = CaseKind.WISH
    world.category.handle_hours = 24  # the studio's clock: not the claim's
    lifecycle.receive(world.case, world.desk())
    claims.claim(world.case, Actor.of(world.volunteer))
    db.session.commit()
    card = card_of(signed_in("volunteer").get("/v/").get_data(as_text=True), world.case.id)
    with world_locale("zh"):
        until = format_datetime(world.case.claim_expires_at, "yyyy-MM-dd HH:mm")
        due = format_datetime(world.case.due_at, "yyyy-MM-dd HH:mm")
    assert until in card and due not in card
    assert "2 天 23 小时" in card  # CLAIM_HOURS=72 from now, not rounded up to "3 天"


def test_finishing_without_a_note_shows_the_error_on_the_card_and_a_reload_is_no_405(
        signed_in, world: World) -> None:
    walk(world.case, world, "arrive")
    db.session.commit()
    captain = signed_in("captain")
    response = captain.post(f"/v/cases/{world.case.id}/actions/finish",
                            {"finish-version": str(world.case.version), "finish-note": " "})
    assert response.status_code == 422
    card = card_of(response.get_data(as_text=True), world.case.id)
    assert 'class="field-error"' in card
    # The form posts to an address that lands on the card, so the error is in sight.
    assert f'actions/finish#case-{world.case.id}"' in card
    reload = captain.get(f"/v/cases/{world.case.id}/actions/finish")
    assert reload.status_code == 303
    assert reload.headers["Location"].endswith(f"/v/#case-{world.case.id}")
    desk = signed_in("coordinator")
    again = desk.get(f"/desk/cases/{world.case.id}/actions/finish")
    assert again.status_code == 303
    assert again.headers["Location"].endswith(f"/desk/cases/{world.case.id}")


def test_what_was_typed_stays_when_a_step_is_refused_for_its_input(signed_in, world: World
                                                                  ) -> None:
    walk(world.case, world, "arrive")
    db.session.commit()
    response = signed_in("captain").post(
        f"/v/cases/{world.case.id}/actions/finish",
        {"finish-version": str(world.case.version), "finish-note": "螺栓已换" * 600})
    assert response.status_code == 422
    assert "螺栓已换螺栓已换" in card_of(response.get_data(as_text=True), world.case.id)


def test_sharing_out_without_a_member_says_so_on_the_card(signed_in, world: World) -> None:
    walk(world.case, world, "assign")
    db.session.commit()
    response = signed_in("captain").post(f"/v/cases/{world.case.id}/share",
                                         {f"share{world.case.id}-member": ""})
    assert response.status_code == 422
    assert 'class="field-error"' in card_of(response.get_data(as_text=True), world.case.id)


def test_ledger_lines_the_software_writes_are_read_in_the_readers_language(
        signed_in, world: World) -> None:
    walk(world.case, world, "accept")
    team_work.share_out(world.case, Actor.of(world.captain), world.member)
    lifecycle.arrive(world.case, Actor.of(world.member), latitude=27.8755, longitude=112.9468)
    db.session.commit()
    desk = signed_in("coordinator")
    chinese = desk.get(f"/desk/cases/{world.case.id}").get_data(as_text=True)
    assert "已分派给" in chinese and "公里" in chinese
    desk.post("/language", {"lang": "en", "next": "/"})
    english = desk.get(f"/desk/cases/{world.case.id}").get_data(as_text=True)
    assert f"Shared out to {world.member.display_name}." in english
    assert "km from the site" in english and "已分派给" not in english and "公里" not in english


def test_lines_written_before_codes_keep_their_text(world: World) -> None:
    event = lifecycle.add_note(world.case, world.desk(), "旧的备注")
    assert (event.note_code, event.text) == (None, "旧的备注")


def test_skills_are_listed_as_the_readers_language_lists_them(app) -> None:
    with app.test_request_context("/"):
        with world_locale("en"):
            assert listing(["Repairs", "Safety"]) == "Repairs, Safety"
        with world_locale("zh"):
            assert listing(["维修", "安全"]) == "维修、安全"


def test_the_inbox_speaks_the_readers_language_of_the_moment(signed_in, world: World) -> None:
    walk(world.case, world, "assign")  # the captain is told: new work
    db.session.commit()
    row = db.session.scalar(select(Notification).where(
        Notification.user_id == world.captain.id, Notification.channel == Channel.INBOX))
    assert row is not None and row.message_code == "new_work"
    db.session.add(InboxMessage(notification_id=row.id, user_id=world.captain.id,
                                text=row.text, url=row.url, message_code=row.message_code,
                                message_params=row.message_params))  # as delivery does
    db.session.commit()
    captain = signed_in("captain")
    assert "有新派单" in captain.get("/inbox/").get_data(as_text=True)
    captain.post("/language", {"lang": "en", "next": "/"})
    english = captain.get("/inbox/").get_data(as_text=True)
    assert "New work for you" in english and "有新派单" not in english
