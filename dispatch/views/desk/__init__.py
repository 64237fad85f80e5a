"""The coordinator's desk: the board, cases, teams, rota, import, monthly report, exports
and deliveries, and (admins) the Open311 API keys.

Each module adds its routes to the one blueprint in ``blueprint.py``; importing them here is
what puts them on it.
"""

from dispatch.views.desk import (
    api_clients,
    board,
    bulk,
    calendar,
    cases,
    exports,
    imports,
    intake,
    monthly,
    notifications,
    pairings,
    people,
    point_settings,
    posters,
    reception,
    reply_settings,
    rota,
    settings,
    shifts,
    studio_settings,
    team_settings,
    teams,
    user_settings,
    worklog,
)
from dispatch.views.desk.blueprint import bp

__all__ = ["bp", "api_clients", "board", "bulk", "calendar", "cases", "exports", "imports",
           "intake", "monthly", "notifications", "pairings", "people", "point_settings",
           "posters", "reception", "reply_settings", "rota", "settings", "shifts",
           "studio_settings", "team_settings", "teams", "user_settings", "worklog"]
