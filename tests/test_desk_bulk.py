"""Bulk receive and bulk assign from the case list: each case its own step, ledger line and
version check; a summary of what went through and what did not, and why; bad input refused
with a message; two coordinators bulk-receiving overlapping sets receive each case once."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

from flask import Flask
from rq.job import Job
from sqlalchemy import func, select

from dispatch.extensions import db, get_queue
from dispatch.models import Case, CaseEvent, CaseStatus, Notification, User, utcnow
from dispatch.services.desk import bulk
from dispatch.services.permissions import Actor
from tests.factories import World, gen_case, take_step


def _cases(world: World, n: int) -> list[Case]:
    made = [gen_case(world.category, world.studio, title=f"路灯不亮{i}") for i in range(n)]
    db.session.commit()
    return made


def _picks(cases: list[Case]) -> list[str]:
    return [f"{c.id}:{c.version}" for c in cases]


def _ledger(case_id: int, action: str) -> int:
    return int(db.session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == case_id, CaseEvent.action == action)) or 0)


def _section(html: str, section: str) -> list[int]:
    start = html.index(f'id="bulk-{section}"')
    end = html.find("</section>", start)
    return [int(n) for n in re.findall(r'data-case="(\d+)"', html[start:end])]


def test_bulk_receive_gives_each_case_its_own_ledger_line_and_a_summary(
        world: World, signed_in: Any) -> None:
    cases = _cases(world, 3)
    take_step(cases[1], "receive", world, actor=Actor.of(world.coordinator2))  # got there first
    db.session.commit()
    client = signed_in("coordinator")
    page = client.post("/desk/cases/bulk", {"action": "receive", "case": _picks(cases)})
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:400]
    assert sorted(_section(html, "done")) == sorted([cases[0].id, cases[2].id])
    assert _section(html, "refused") == [cases[1].id]
    assert "罗敏" in html  # "already received by" names who did it
    db.session.expire_all()
    for case in cases:
        assert db.session.get(Case, case.id).status == CaseStatus.RECEIVED
        assert _ledger(case.id, "receive") == 1


def test_a_stale_version_is_a_conflict_for_that_case_only(world: World, signed_in: Any) -> None:
    cases = _cases(world, 2)
    picks = _picks(cases)
    picks[0] = f"{cases[0].id}:{cases[0].version + 5}"  # the list showed another version
    client = signed_in("coordinator")
    html = client.post("/desk/cases/bulk", {"action": "receive", "case": picks}) \
        .get_data(as_text=True)
    assert _section(html, "done") == [cases[1].id]
    assert _section(html, "refused") == [cases[0].id]
    db.session.expire_all()
    assert db.session.get(Case, cases[0].id).status == CaseStatus.REGISTERED
    assert _ledger(cases[0].id, "receive") == 0


def test_bulk_assign_assigns_the_received_and_says_why_not_for_the_others(
        world: World, signed_in: Any) -> None:
    cases = _cases(world, 3)
    for case in cases[:2]:
        take_step(case, "receive", world)
    db.session.commit()
    client = signed_in("coordinator")
    started = utcnow()
    picks = [f"{c.id}:{db.session.get(Case, c.id).version}" for c in cases]
    page = client.post("/desk/cases/bulk", {"action": "assign", "case": picks,
                                            "assignee": f"team:{world.team.id}",
                                            "note": "批量派单"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert sorted(_section(html, "done")) == sorted(c.id for c in cases[:2])
    assert _section(html, "refused") == [cases[2].id]
    assert "Not in a state to be assigned" in html or "不能派单" in html or "先接待" in html
    db.session.expire_all()
    for case in cases[:2]:
        row = db.session.get(Case, case.id)
        assert row.status == CaseStatus.HANDLING and row.assigned_team_id == world.team.id
        assert _ledger(case.id, "assign") == 1
    assert db.session.get(Case, cases[2].id).status == CaseStatus.REGISTERED
    # Each assignment's notifications were written with it and queued once it committed;
    # the refused case planned none.
    queue = get_queue()
    for case in cases[:2]:
        rows = list(db.session.scalars(select(Notification.id).where(
            Notification.case_id == case.id, Notification.created_at >= started)))
        assert rows, "an assignment tells the team"
        assert all(Job.exists(f"notify-{row}", connection=queue.connection) for row in rows)
    assert not db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.case_id == cases[2].id, Notification.created_at >= started))


def test_the_case_list_shows_assignee_and_a_due_soon_mark_distinct_from_overdue(
        world: World, signed_in: Any) -> None:
    soon, late, later = _cases(world, 3)
    take_step(soon, "receive", world)
    take_step(soon, "assign", world)
    db.session.commit()
    now = utcnow()
    db.session.get(Case, soon.id).due_at = now + timedelta(minutes=70)
    db.session.get(Case, late.id).due_at = now - timedelta(minutes=5)
    db.session.get(Case, later.id).due_at = now + timedelta(hours=5)
    db.session.commit()
    html = signed_in("coordinator").get("/desk/cases").get_data(as_text=True)

    def row(case: Case) -> str:
        start = html.index(f'data-case="{case.id}"', html.index("<tbody>"))
        return html[start:html.index("</tr>", start)]

    assert world.team.name in row(soon)
    assert 'data-testid="due-soon"' in row(soon)
    assert 'data-testid="due-soon"' not in row(late)  # overdue is marked as overdue, not soon
    assert 'data-testid="due-soon"' not in row(later)
    assert "—" in row(later)  # nobody assigned


def test_bad_input_is_refused_with_a_message_never_a_500(world: World, signed_in: Any) -> None:
    client = signed_in("coordinator")
    nothing = client.post("/desk/cases/bulk", {"action": "receive"})
    assert nothing.status_code == 422
    assert "No case was selected" in nothing.get_data(as_text=True) or \
        "没有选" in nothing.get_data(as_text=True)
    nul = client.post("/desk/cases/bulk", {"action": "receive", "case": ["1\x00"]})
    assert nul.status_code == 400 and "NUL" in nul.get_data(as_text=True)  # the app-wide check
    weird = client.post("/desk/cases/bulk", {"action": "receive", "case": [
        "1" + "0" * 300, "abc", "-3", "2147483647", f"{world.case.id}:{world.case.version}"]})
    html = weird.get_data(as_text=True)
    assert weird.status_code == 200, html[:300]
    assert _section(html, "done") == [world.case.id]
    assert _section(html, "refused") == [2147483647]  # no such case, said so
    assert html.count("is not a case number") + html.count("不是诉求编号") == 3
    no_team = client.post("/desk/cases/bulk", {"action": "assign", "case": [str(world.case.id)],
                                               "assignee": "team:99999"})
    assert no_team.status_code == 422
    assert f'value="{world.case.id}:' in no_team.get_data(as_text=True)  # still ticked
    for key in ("team:" + "9" * 300, "team:-1", "", "robot:1"):
        response = client.post("/desk/cases/bulk", {"action": "assign", "assignee": key,
                                                    "case": [str(world.case.id)]})
        assert response.status_code == 422, key
    assert client.post("/desk/cases/bulk", {"action": "archive",
                                            "case": [str(world.case.id)]}).status_code == 422
    long_note = client.post("/desk/cases/bulk", {"action": "receive", "note": "很长" * 300,
                                                 "case": [f"{world.case.id}:1"]})
    assert long_note.status_code == 422
    assert "很长很长" in long_note.get_data(as_text=True)  # what was typed is kept
    assert f'id="pick-{world.case.id}" checked' in long_note.get_data(as_text=True)
    too_many = client.post("/desk/cases/bulk", {"action": "receive",
                                                "case": [str(n) for n in range(1, 102)]})
    assert too_many.status_code == 422
    assert "at most 100" in too_many.get_data(as_text=True) or "最多" in \
        too_many.get_data(as_text=True)
    db.session.expire_all()
    assert _ledger(world.case.id, "assign") == 0


def test_bulk_needs_csrf_and_the_desk(world: World, signed_in: Any) -> None:
    client = signed_in("coordinator")
    assert client.post("/desk/cases/bulk", {"action": "receive", "case": [str(world.case.id)]},
                       token=False).status_code == 400
    volunteer = signed_in("member")
    assert volunteer.post("/desk/cases/bulk", {"action": "receive",
                                               "case": [str(world.case.id)]}).status_code == 403
    db.session.expire_all()
    assert _ledger(world.case.id, "receive") == 0


def test_two_coordinators_bulk_receiving_overlapping_sets_receive_each_case_once(
        app: Flask, world: World) -> None:
    cases = _cases(world, 6)
    first = [bulk.Selected(c.id, c.version) for c in cases[:4]]
    second = [bulk.Selected(c.id, c.version) for c in cases[2:]][::-1]  # overlap: 2 and 3
    results: dict[str, list[bulk.Result]] = {}
    ready = threading.Barrier(2)

    def run(name: str, user_id: int, picks: list[bulk.Selected]) -> None:
        with app.test_request_context():
            try:
                actor = Actor.of(db.session.get(User, user_id))  # type: ignore[arg-type]
                ready.wait(10)
                out = []
                for selected in picks:
                    result = bulk.step_one("receive", selected, actor)
                    db.session.commit() if result.done else db.session.rollback()
                    out.append(result)
                results[name] = out
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=("a", world.coordinator.id, first)),
               threading.Thread(target=run, args=("b", world.coordinator2.id, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert set(results) == {"a", "b"}
    done = [r.case_id for name in results for r in results[name] if r.done]
    assert sorted(done) == sorted(c.id for c in cases)  # each exactly once
    refused = [r for name in results for r in results[name] if not r.done]
    assert sorted(r.case_id for r in refused) == sorted([cases[2].id, cases[3].id])
    assert all(r.reason for r in refused)
    db.session.expire_all()
    for case in cases:
        assert _ledger(case.id, "receive") == 1


def test_the_board_s_list_ticks_and_receives_and_a_refusal_keeps_the_board(
        world: World, signed_in: Any) -> None:
    """The board's list has the same bulk form: its rows carry a tick box (the link to
    the case beside it), the step goes through the same path, the summary leads back to
    the board with its filters, and a refusal shows the board again, the cases still
    ticked and what was typed kept."""
    cases = _cases(world, 2)
    client = signed_in("coordinator")
    board = client.get("/desk/board?kind=hazard").get_data(as_text=True)
    form_at = board.index('id="bulk-form"')
    action = re.search(r'action="([^"]+)"', board[board.rfind("<form", 0, form_at):form_at + 20])
    assert action is not None and "back_to=board" in action.group(1)
    for case in cases:
        assert f'value="{case.id}:{case.version}"' in board[form_at:]
    address = action.group(1).replace("&amp;", "&")
    done = client.post(address, {"action": "receive", "case": _picks(cases)})
    html = done.get_data(as_text=True)
    assert done.status_code == 200
    assert sorted(_section(html, "done")) == sorted(c.id for c in cases)
    back = re.search(r'btn-outline-dark" href="(/desk/board[^"]*)"', html)
    assert back is not None and "kind=hazard" in back.group(1) and "back_to" not in back.group(1)
    db.session.expire_all()
    assert all(db.session.get(Case, c.id).status == CaseStatus.RECEIVED for c in cases)

    refused = client.post(address, {"action": "assign", "case": _picks(cases)[:1],
                                    "assignee": "team:999999", "note": "今天下午去"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="board-list"' in page and "今天下午去" in page  # the board, what was typed kept
    assert re.search(rf'value="{cases[0].id}:\d+" id="pick-{cases[0].id}" checked', page)
