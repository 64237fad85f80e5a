"""Field work that explains itself: whoever holds the work sees what to do next (or why
not), what was sent back and why, the original text, and each step offered once."""

from __future__ import annotations

from dispatch.extensions import db
from dispatch.services.cases import team_work
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
