"""The ledger is append-only: the ORM, bulk statements and the database all refuse changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, event, select, text, update
from sqlalchemy.exc import DatabaseError

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, CaseStatus, LedgerIsAppendOnly
from dispatch.services.cases import lifecycle
from dispatch.services.permissions import Actor
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


def test_a_step_sees_the_case_as_its_update_left_it_without_reading_it_again(
        world: World) -> None:
    """The conditional UPDATE returns the row (RETURNING): the case is not read again after
    the write, and what the step's caller sees (its clock, its new team) is the database's."""
    case = world.case
    walk(case, world, "receive")
    db.session.commit()
    version = case.version
    assert case.assigned_team is None  # loaded: the step must not leave it stale
    statements: list[str] = []

    def remember(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        lifecycle.assign(case, Actor.of(world.coordinator), team=world.team)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    written = next(i for i, s in enumerate(statements) if s.startswith("UPDATE cases"))
    assert not [s for s in statements[written:] if s.startswith("SELECT cases.")], statements
    assert (case.status, case.version) == (CaseStatus.HANDLING, version + 1)
    assert case.assigned_team is world.team  # the relationship follows the new team id
    seen = {column.key: getattr(case, column.key) for column in Case.__table__.columns}
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert {key: getattr(stored, key) for key in seen} == seen
