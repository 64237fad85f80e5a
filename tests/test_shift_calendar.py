"""The volunteer's calendar feed: a secret address made on the phone, RFC 5545 text with
their shifts and claimed work, and revoked by a new address or by stopping it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from dispatch.extensions import db
from dispatch.models import CaseKind
from dispatch.services.cases import claims
from dispatch.services.permissions import Actor
from dispatch.services.standing import calendar, signups
from tests.conftest import WebClient
from tests.factories import World, gen_case, take_step
from tests.shift_factories import gen_shift

SignIn = Callable[[str], WebClient]
URL = re.compile(r'data-testid="calendar-url">.*?<a href="[^"]+">([^<]+)</a>', re.S)


def test_feed_lists_shifts_and_claimed_work_in_rfc_5545(app, world: World) -> None:  # type: ignore[no-untyped-def]
    shift = gen_shift(site_name="陈埭镇检查点, 北口; 二号岗", note="第一行\n第二行" + "长" * 40)
    signups.sign_up(shift, world.volunteer)
    wish = gen_case(world.category, world.studio, kind=CaseKind.WISH, title="帮老人换灯泡")
    take_step(wish, "receive", world)
    claims.claim(wish, Actor.of(world.volunteer))
    text = calendar.feed_for(world.volunteer)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "LOCATION:陈埭镇检查点\\, 北口\\; 二号岗" in unfolded
    assert "DESCRIPTION:第一行\\n第二行" in unfolded
    assert f"DTSTART:{shift.starts_at:%Y%m%dT%H%M%SZ}" in unfolded
    assert "帮老人换灯泡" in unfolded and unfolded.count("BEGIN:VEVENT") == 2


def test_secret_address_works_until_replaced_or_stopped(world: World, signed_in: SignIn) -> None:
    signups.sign_up(gen_shift(starts_in=timedelta(days=1)), world.volunteer)
    db.session.commit()
    phone = signed_in("volunteer")
    page = phone.post("/v/me/calendar").get_data(as_text=True)
    first = URL.search(page).group(1)  # type: ignore[union-attr]
    path = first.split("://", 1)[1].split("/", 1)[1]
    anonymous = WebClient(phone.app)
    response = anonymous.get(f"/{path}")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "BEGIN:VEVENT" in response.get_data(as_text=True)
    second = URL.search(phone.post("/v/me/calendar").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert second != first
    assert anonymous.get(f"/{path}").status_code == 404  # the old address is revoked
    phone.post("/v/me/calendar/revoke")
    assert anonymous.get("/" + second.split("://", 1)[1].split("/", 1)[1]).status_code == 404
    assert signed_in("coordinator").post("/v/me/calendar").status_code == 403
