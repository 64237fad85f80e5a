"""The coordinator's desk: the board, cases, teams, rota, import, monthly report, exports
and deliveries.

Each module adds its routes to the one blueprint in ``blueprint.py``; importing them here is
what puts them on it.
"""

from dispatch.views.desk import (
    board,
    cases,
    exports,
    imports,
    monthly,
    notifications,
    pairings,
    rota,
    shifts,
    teams,
    worklog,
)
from dispatch.views.desk.blueprint import bp

__all__ = ["bp", "board", "cases", "exports", "imports", "monthly", "notifications",
           "pairings", "rota", "shifts", "teams", "worklog"]
