"""Field work that explains itself: whoever holds the work sees what to do next (or why
not), what was sent back and why, the original text, and each step offered once."""

from __future__ import annotations

from dispatch.extensions import db
from dispatch.services.cases import lifecycle, moderation, team_work
from dispatch.services.permissions import Actor
from tests.factories import World, walk


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
