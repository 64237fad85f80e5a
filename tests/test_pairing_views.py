"""Pairing pages: the coordinator adds and pairs a household and hands it over; the paired
member logs a visit and files a need as a case; anyone else gets 403; the public case page
and the desk's export carry none of the household's private data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, Household, Pairing, Visit, utcnow
from dispatch.services.clock import local
from tests.conftest import WebClient
from tests.factories import World
from tests.pairing_factories import gen_household, gen_pairing

SignIn = Callable[[str], WebClient]


def _visit_form(**kw: str) -> dict[str, str]:
    when = local(utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    return {"visited_at": when, "found": "卫生间扶手松动", "done": "先用绳子加固",
            "follow_up": "", **kw}


def test_coordinator_adds_and_pairs_a_household(world: World, signed_in: SignIn) -> None:
    desk = signed_in("coordinator")
    response = desk.post("/desk/pairings", {
        "label": "燕庄小区 5号楼", "address": "燕庄小区5号楼1单元301", "latitude": "27.86",
        "longitude": "112.95", "people": "李大爷", "needs": "", "contact_name": "",
        "contact_phone": "13912345678", "member": str(world.member.id), "rhythm_days": "7"})
    assert response.status_code == 302, response.get_data(as_text=True)
    pairing = db.session.scalar(select(Pairing))
    assert pairing is not None and pairing.member_id == world.member.id
    assert "燕庄小区 5号楼" in desk.get("/desk/pairings").get_data(as_text=True)
    bad = desk.post("/desk/pairings", {"label": "x", "address": "y", "latitude": "27.86",
                                       "longitude": "112.95", "contact_phone": "12",
                                       "member": "", "rhythm_days": "7"})
    assert bad.status_code == 422 and 'value="12"' in bad.get_data(as_text=True)


def test_household_page_is_403_for_anyone_but_the_member(world: World, signed_in: SignIn) -> None:
    pairing = gen_pairing(world.coordinator, world.member)
    db.session.commit()
    path = f"/v/households/{pairing.household_id}"
    page = signed_in("member").get(path)
    address = pairing.household.address
    assert page.status_code == 200 and address in page.get_data(as_text=True)
    for who in ("volunteer", "captain"):
        response = signed_in(who).get(path)
        assert response.status_code == 403 and address not in response.get_data(as_text=True)
    assert signed_in("captain").get(f"/desk/households/{pairing.household_id}").status_code \
        == 403


def test_member_logs_a_visit_and_files_the_need(world: World, signed_in: SignIn) -> None:
    pairing = gen_pairing(world.coordinator, world.member)
    db.session.commit()
    phone = signed_in("member")
    household_id = pairing.household_id
    assert phone.post(f"/v/households/{household_id}/visits",
                      _visit_form()).status_code == 302
    assert phone.post(f"/v/households/{household_id}/visits", _visit_form(
        visited_at="not a time")).status_code == 422
    visit = db.session.scalar(select(Visit))
    assert visit is not None
    data = {f"v{visit.id}-category": str(world.category.id), f"v{visit.id}-need": visit.found}
    assert phone.post(f"/v/visits/{visit.id}/case", data).status_code == 302
    assert phone.post(f"/v/visits/{visit.id}/case", data).status_code == 302  # a double tap
    db.session.expire_all()
    cases = db.session.scalars(select(Case).where(Case.description == "卫生间扶手松动")).all()
    assert len(cases) == 1
    public = WebClient(phone.app).get(f"/c/{cases[0].tracking_code}").get_data(as_text=True)
    household = db.session.get(Household, household_id)
    assert household is not None
    for private in (household.address, household.contact_name, "13912345678", "王秀兰"):
        assert private not in public
    assert signed_in("volunteer").post(f"/v/visits/{visit.id}/case", data).status_code == 403
    # The desk's case page says where the case came from, with the way to the household.
    desk = signed_in("coordinator").get(f"/desk/cases/{cases[0].id}").get_data(as_text=True)
    assert 'data-testid="raised-on-visit"' in desk
    assert household.label in desk and f"/desk/households/{household_id}" in desk


def test_hand_over_from_the_board(world: World, signed_in: SignIn) -> None:
    pairing = gen_pairing(world.coordinator, world.member)
    db.session.commit()
    desk = signed_in("coordinator")
    response = desk.post(f"/desk/pairings/{pairing.id}/hand-over",
                         {f"p{pairing.id}-member": str(world.volunteer.id)})
    assert response.status_code == 302
    assert signed_in("member").get(f"/v/households/{pairing.household_id}").status_code == 403
    assert signed_in("volunteer").get(f"/v/households/{pairing.household_id}").status_code \
        == 200


def test_an_unpaired_household_is_paired_from_the_board(world: World, signed_in: SignIn) -> None:
    household = gen_household(world.coordinator)
    db.session.commit()
    desk = signed_in("coordinator")
    assert f'data-household="{household.id}"' in desk.get("/desk/pairings").get_data(as_text=True)
    response = desk.post(f"/desk/households/{household.id}/pair",
                         {"member": str(world.member.id), "rhythm_days": "10"})
    assert response.status_code == 302
    pairing = db.session.scalar(select(Pairing).where(Pairing.household_id == household.id))
    assert pairing is not None and pairing.rhythm_days == 10
