"""Per-category claiming: a category the studio assigns is not offered to claim on the
phone, nor through the API, and a claim lasts its category's length."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, CaseKind, CaseStatus, Category
from dispatch.services.cases import claims, lifecycle
from dispatch.services.errors import IllegalTransition
from dispatch.services.permissions import Actor
from dispatch.services.responders import tokens
from tests.factories import World, gen_case

CARD = re.compile(r'class="work-card claimable" data-case="(\d+)"')


def open_wish(world: World, **kw: object) -> Case:
    wish = gen_case(world.category, kind=CaseKind.WISH, title="帮独居老人换灯泡", **kw)
    lifecycle.receive(wish, world.desk())
    db.session.commit()
    return wish


def _set(world: World, **values: object) -> None:
    category = db.session.get(Category, world.category.id)
    for name, value in values.items():
        setattr(category, name, value)
    db.session.commit()


def test_a_claim_lasts_its_category_s_length(world: World) -> None:
    _set(world, claim_hours=5)
    wish = open_wish(world)
    claims.claim(wish, Actor.of(world.volunteer))
    db.session.commit()
    assert wish.claim_expires_at - wish.claimed_at == timedelta(hours=5)


def test_a_category_the_studio_assigns_is_refused_with_its_reason(world: World) -> None:
    wish = open_wish(world)
    _set(world, claimable=False)
    with pytest.raises(IllegalTransition) as refused:
        claims.claim(wish, Actor.of(world.volunteer))
    db.session.rollback()
    assert world.category.name_zh in refused.value.message()
    assert "工作室派单" in refused.value.message() or "由工作室" in refused.value.message()
    db.session.expire_all()
    assert db.session.get(Case, wish.id).status == CaseStatus.RECEIVED


def test_the_phone_list_offers_only_claimable_categories(signed_in, world: World) -> None:
    wish = open_wish(world, latitude=27.8625, longitude=112.9525)
    phone = signed_in("volunteer")
    assert CARD.findall(phone.get("/v/?lat=27.862&lon=112.952").get_data(as_text=True)) \
        == [str(wish.id)]
    _set(world, claimable=False)
    assert CARD.findall(phone.get("/v/?lat=27.862&lon=112.952").get_data(as_text=True)) == []
    refused = phone.post(f"/v/cases/{wish.id}/actions/claim",
                         {"claim-version": str(wish.version)}, follow_redirects=True)
    assert refused.status_code in (200, 409)
    assert world.category.name_zh in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(CaseEvent.action).where(
        CaseEvent.case_id == wish.id)).all()[-1] == "receive"


def test_the_api_neither_offers_nor_takes_the_claim(app: Flask, world: World) -> None:
    wish = open_wish(world)
    _set(world, claimable=False)
    _row, token = tokens.issue(world.volunteer, "test")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    with app.app_context():
        steps = client.get(f"/api/v1/cases/{wish.id}/actions", headers=headers)
    assert steps.status_code in (200, 403, 404)
    if steps.status_code == 200:
        assert "claim" not in [s["action"] for s in steps.get_json()]
    with app.app_context():
        claimed = client.post(f"/api/v1/cases/{wish.id}/actions/claim", headers=headers,
                              json={"version": wish.version})
    assert claimed.status_code in (403, 404, 409)
    db.session.expire_all()
    assert db.session.get(Case, wish.id).status == CaseStatus.RECEIVED


def test_the_settings_page_switches_claiming_off_and_audits_it(signed_in, world: World
                                                              ) -> None:
    admin = signed_in("admin")
    category = world.category
    fields = {"version": category.version, "name_zh": category.name_zh,
              "name_en": category.name_en, "icon": category.icon, "skills": ["repair"],
              "clock_unit": "hours", "receive_hours": 4, "handle_hours": 48,
              "reply_hours": 72, "active": "y", "claim_hours": 12}
    assert admin.post(f"/desk/settings/categories/{category.id}", fields).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Category, category.id)
    assert saved.claimable is False and saved.claim_hours == 12
    page = admin.get("/desk/settings/categories").get_data(as_text=True)
    assert "不可认领" in page or "Not claimed" in page


@pytest.mark.parametrize("typed", ["0", "721", "NaN", "1e300", "", "3\x00"])
def test_a_bad_claim_length_is_a_form_error_with_what_was_typed(signed_in, world: World,
                                                                typed: str) -> None:
    admin = signed_in("admin")
    category = world.category
    fields = {"version": category.version, "name_zh": "新名字", "name_en": "x",
              "icon": "", "clock_unit": "hours", "receive_hours": 4, "handle_hours": 48,
              "reply_hours": 72, "active": "y", "claimable": "y", "claim_hours": typed}
    response = admin.post(f"/desk/settings/categories/{category.id}", fields)
    assert response.status_code in (400, 422)
    if response.status_code == 422:
        assert "新名字" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Category, category.id).claim_hours == 72
