"""The work log and talk notes: written on the desk, searchable, a case-linked entry in the
case's ledger (so in the ledger export), and the month's counts in the monthly report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import CaseEvent, LogKind, WorkLogEntry, utcnow
from dispatch.services.clock import local
from dispatch.services.errors import InvalidInput, NotPermitted
from dispatch.services.standing import month, pairings, worklog
from tests.conftest import WebClient
from tests.factories import World
from tests.pairing_factories import gen_pairing

SignIn = Callable[[str], WebClient]


def _entry(**kw):  # type: ignore[no-untyped-def]
    return worklog.NewEntry(**{"kind": LogKind.ENTRY, "text": "接待来访群众3批",
                               "happened_at": utcnow() - timedelta(hours=2), **kw})


def test_an_entry_linked_to_a_case_is_in_its_ledger(world: World) -> None:
    worklog.write(_entry(kind=LogKind.TALK, with_whom="天鹤村业主代表",
                         text="谈车棚拆除后的停车安排", case=world.case, hours=1.5),
                  world.coordinator)
    db.session.commit()
    notes = db.session.scalars(select(CaseEvent).where(
        CaseEvent.case_id == world.case.id, CaseEvent.action == "add_note")).all()
    assert len(notes) == 1 and "谈车棚拆除后的停车安排" in notes[0].note and notes[0].internal


def test_search_finds_by_any_word_and_kind(world: World) -> None:
    worklog.write(_entry(text="走访燕庄小区3号楼"), world.coordinator)
    worklog.write(_entry(kind=LogKind.TALK, with_whom="王阿姨", text="聊了楼道灯的事"),
                  world.coordinator)
    assert [e.text for e in worklog.search("燕庄")] == ["走访燕庄小区3号楼"]
    assert [e.with_whom for e in worklog.search("王阿姨")] == ["王阿姨"]
    assert len(worklog.search("", LogKind.TALK)) == 1
    assert worklog.search("灯 燕庄") == []


def test_bad_entries_are_refused(world: World) -> None:
    with pytest.raises(NotPermitted):
        worklog.write(_entry(), world.captain)
    for bad in (_entry(text="  "), _entry(kind=LogKind.TALK), _entry(hours=30.0),
                _entry(happened_at=utcnow() + timedelta(days=1))):
        with pytest.raises(InvalidInput):
            worklog.write(bad, world.coordinator)


def test_month_counts_visits_talks_and_hours(world: World) -> None:
    now = utcnow()
    pairing = gen_pairing(world.coordinator, world.member)
    pairings.log_visit(pairing.household, world.member, now - timedelta(hours=1), "好", "")
    worklog.write(_entry(kind=LogKind.TALK, with_whom="李大爷", hours=1.0), world.coordinator)
    worklog.write(_entry(hours=2.5), world.coordinator)
    figures = month.figures(now - timedelta(days=1), now + timedelta(days=1))
    assert figures.visits == 1 and figures.log.talks == 1 and figures.log.entries == 1
    assert figures.hours_served == 3.5


def test_desk_page_writes_and_finds(world: World, signed_in: SignIn) -> None:
    desk = signed_in("coordinator")
    when = local(utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = desk.post("/desk/worklog", {"kind": "entry", "happened_at": when,
                                           "text": "整理本周台账", "with_whom": "",
                                           "hours": "2", "case_code": world.case.tracking_code,
                                           "household": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert db.session.scalar(select(WorkLogEntry.case_id)) == world.case.id
    assert "整理本周台账" in desk.get("/desk/worklog?q=台账").get_data(as_text=True)
    bad = desk.post("/desk/worklog", {"kind": "entry", "happened_at": when, "text": "x",
                                      "case_code": "NOPE", "household": ""})
    assert bad.status_code == 422 and 'value="NOPE"' in bad.get_data(as_text=True)
    assert signed_in("captain").get("/desk/worklog").status_code == 403
