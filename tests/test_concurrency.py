"""Two coordinators act on one case at the same moment from two real database connections.

Both read the case while it is still ``registered``; the first one's conditional UPDATE
holds the row until it commits; the second one's UPDATE then matches nothing and it gets a
clear conflict. The ledger has exactly one line for the step.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, CaseKind, CaseStatus, Team, User
from dispatch.services.cases import claims, lifecycle
from dispatch.services.cases.claims import ClaimLimitReached
from dispatch.services.errors import Conflict
from dispatch.services.permissions import Actor
from tests.factories import World, gen_case


def in_own_connection(app: Flask, step: Callable[[Case, Actor], Any], case_id: int,
                      user_id: int, read: threading.Event, go: threading.Event,
                      hold: threading.Event | None, results: dict[str, Any],
                      name: str, stepped: threading.Event | None = None) -> threading.Thread:
    """Run ``step`` in a thread with its own app context, session and connection;
    ``stepped`` is set once the step has run (its UPDATE done, not yet committed)."""

    def run() -> None:
        with app.app_context():
            try:
                case = db.session.get(Case, case_id)
                actor = Actor.of(db.session.get(User, user_id))  # type: ignore[arg-type]
                results[name + "_saw"] = case.status if case else None
                read.set()
                go.wait(10)
                step(case, actor)
                if stepped is not None:
                    stepped.set()
                if hold is not None:
                    hold.wait(10)  # keep the transaction open: the other one must wait
                db.session.commit()
                results[name] = "won"
            except Conflict as conflict:
                db.session.rollback()
                results[name] = conflict
            except Exception as error:  # noqa: BLE001  (reported by the test)
                db.session.rollback()
                results[name] = error
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def race(app: Flask, world: World, first: Callable, second: Callable) -> dict[str, Any]:
    results: dict[str, Any] = {}
    read_a, read_b, go_a, go_b, hold, stepped_a = (threading.Event() for _ in range(6))
    a = in_own_connection(app, first, world.case.id, world.coordinator.id, read_a, go_a,
                          hold, results, "a", stepped_a)
    b = in_own_connection(app, second, world.case.id, world.coordinator2.id, read_b, go_b,
                          None, results, "b")
    assert read_a.wait(10) and read_b.wait(10)  # both saw "registered"
    go_a.set()
    # A has updated the row and holds its transaction open (waited for, not slept on: on a
    # busy machine A's step can take longer than any fixed pause, and B would go first).
    assert stepped_a.wait(20), results
    go_b.set()
    time.sleep(0.3)  # B's UPDATE now waits on A's lock (or, if slower, finds A's step done)
    hold.set()
    a.join(20)
    b.join(20)
    return results


def ledger_actions(case_id: int) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id)
                                   .order_by(CaseEvent.seq)))


def test_two_coordinators_receiving_at_once_one_wins_one_gets_a_conflict(
        app: Flask, world: World) -> None:
    results = race(app, world, lifecycle.receive, lifecycle.receive)
    assert results["a_saw"] == results["b_saw"] == CaseStatus.REGISTERED
    assert results["a"] == "won"
    assert isinstance(results["b"], Conflict), results["b"]
    assert results["b"].status == CaseStatus.RECEIVED  # told what the case is now
    assert ledger_actions(world.case.id) == ["register", "receive"]


def test_different_steps_racing_leave_one_consistent_history(app: Flask, world: World) -> None:
    # Received first; then one coordinator assigns while the other closes it as not ours.
    lifecycle.receive(world.case, world.desk())
    db.session.commit()
    team_id = world.team.id

    def assign(case: Case, actor: Actor) -> None:
        lifecycle.assign(case, actor, team=db.session.get(Team, team_id))

    def not_ours(case: Case, actor: Actor) -> None:
        lifecycle.mark_not_ours(case, actor, reason="属于供电公司")

    results = race(app, world, assign, not_ours)
    assert results["a_saw"] == results["b_saw"] == CaseStatus.RECEIVED
    assert results["a"] == "won"
    assert isinstance(results["b"], Conflict)
    assert ledger_actions(world.case.id) == ["register", "receive", "assign"]
    db.session.expire_all()
    case = db.session.get(Case, world.case.id)
    assert case is not None and case.status == CaseStatus.HANDLING and case.outcome is None


def test_ten_simultaneous_claims_by_one_volunteer_win_only_up_to_the_limit(
        app: Flask, world: World) -> None:
    """Ten connections claim ten different open wishes for the same volunteer at once; the
    limit holds because each claim first locks the volunteer's row."""
    limit = app.config["MAX_OPEN_CLAIMS"]
    wishes = []
    for _n in range(10):
        wish = gen_case(world.category, kind=CaseKind.WISH, title="帮独居老人换灯泡")
        lifecycle.receive(wish, world.desk())
        wishes.append(wish.id)
    db.session.commit()
    volunteer_id = world.volunteer.id
    ready = threading.Barrier(len(wishes))
    results: dict[int, Any] = {}

    def claim_one(case_id: int) -> None:
        with app.app_context():
            try:
                case = db.session.get(Case, case_id)
                actor = Actor.of(db.session.get(User, volunteer_id))  # type: ignore[arg-type]
                assert case is not None
                ready.wait(10)  # all have read their wish and the volunteer: go together
                claims.claim(case, actor)
                db.session.commit()
                results[case_id] = "won"
            except Exception as error:  # noqa: BLE001  (reported by the test)
                db.session.rollback()
                results[case_id] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=claim_one, args=(case_id,)) for case_id in wishes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    won = [case_id for case_id, result in results.items() if result == "won"]
    refused = [result for result in results.values() if result != "won"]
    assert len(won) == limit, results
    assert len(refused) == len(wishes) - limit
    assert all(isinstance(result, ClaimLimitReached) and result.http_status == 409
               for result in refused), refused
    assert claims.open_claims_of(volunteer_id) == limit
