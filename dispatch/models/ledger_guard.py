"""Keeps the ledger append-only at every layer: ORM unit of work, bulk statements, database.

The triggers are the last word (they stop raw SQL too); the ORM hooks fail earlier with
a clear Python error.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, event
from sqlalchemy.orm import ORMExecuteState, Session

from dispatch.models.case import CaseEvent


class LedgerIsAppendOnly(RuntimeError):
    """Raised when anything tries to change or remove a ledger event."""


@event.listens_for(CaseEvent, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, target: CaseEvent) -> None:
    raise LedgerIsAppendOnly(f"ledger event {target.id} cannot be changed")


@event.listens_for(CaseEvent, "before_delete")
def _refuse_delete(_mapper: Any, _connection: Any, target: CaseEvent) -> None:
    raise LedgerIsAppendOnly(f"ledger event {target.id} cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is not None and table.name == CaseEvent.__tablename__:
            raise LedgerIsAppendOnly("bulk UPDATE or DELETE of ledger events is refused")


SQLITE_TRIGGERS = (
    "CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events "
    "BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END",
    "CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events "
    "BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END",
)
POSTGRESQL_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'the ledger is append-only'; END $$",
    "CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events "
    "FOR EACH ROW EXECUTE FUNCTION case_events_append_only()",
)

for _statement in SQLITE_TRIGGERS:
    event.listen(CaseEvent.__table__, "after_create",
                 DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_TRIGGERS:
    event.listen(CaseEvent.__table__, "after_create",
                 DDL(_statement).execute_if(dialect="postgresql"))
