"""The ledger is append-only: the ORM, bulk statements and the database all refuse changes."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from dispatch.extensions import db
from dispatch.models import CaseEvent, LedgerIsAppendOnly
from tests.factories import World, walk


def ledger(world: World) -> list[tuple[int, str, str]]:
    db.session.expire_all()
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == world.case.id)
                                .order_by(CaseEvent.seq))
    return [(e.seq, e.action, e.note) for e in events]


@pytest.fixture
def history(world: World) -> list[tuple[int, str, str]]:
    walk(world.case, world, "finish")
    db.session.commit()
    return ledger(world)


def test_editing_an_event_through_the_orm_is_refused(world: World, history: list) -> None:
    event = world.case.events[-1]
    event.note = "改写历史"
    with pytest.raises(LedgerIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert ledger(world) == history


def test_deleting_an_event_through_the_orm_is_refused(world: World, history: list) -> None:
    db.session.delete(world.case.events[0])
    with pytest.raises(LedgerIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert ledger(world) == history


@pytest.mark.parametrize("statement", [
    update(CaseEvent).values(note="批量改写"),
    delete(CaseEvent),
])
def test_bulk_statements_on_the_ledger_are_refused(world: World, history: list,
                                                    statement: object) -> None:
    with pytest.raises(LedgerIsAppendOnly):
        db.session.execute(statement)  # type: ignore[call-overload]
    db.session.rollback()
    assert ledger(world) == history


@pytest.mark.parametrize("sql", [
    "UPDATE case_events SET note = 'raw rewrite'",
    "DELETE FROM case_events",
])
def test_the_database_itself_refuses_raw_sql_on_the_ledger(world: World, history: list,
                                                            sql: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text(sql))
    db.session.rollback()
    assert ledger(world) == history


def test_a_case_ledger_reads_as_its_whole_history(world: World, history: list) -> None:
    assert [action for _, action, _ in history] == [
        "register", "receive", "assign", "accept", "arrive", "finish"]
    assert [seq for seq, _, _ in history] == list(range(1, 7))
