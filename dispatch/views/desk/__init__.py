"""The coordinator's desk: the board, cases, rota, import, monthly report and exports.

Each module adds its routes to the one blueprint in ``blueprint.py``; importing them here is
what puts them on it.
"""

from dispatch.views.desk import board, cases, exports, imports, reports, rota
from dispatch.views.desk.blueprint import bp

__all__ = ["bp", "board", "cases", "exports", "imports", "reports", "rota"]
