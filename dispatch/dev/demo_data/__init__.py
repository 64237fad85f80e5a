"""Demo data for Dispatch, used by the seeding command: the JSON files beside this module.

Five regions, their representative studios (党代表工作室), volunteer teams, service points
and twenty-two demo cases with their ledger histories, drawn from the news stories in
``shared/seeds/``. All people, phone numbers and street numbers are fictional. README.md
here tells the stories apart and describes each file's shape.

JSON has no tuples and no int keys, so the loader gives back what Python code expects:
weekday keys of ``hours`` as ints, case ``steps``, ``SKILLS`` names and ``DUTY_SHIFTS`` rows
(with their weekdays) as tuples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_HERE = Path(__file__).parent


def _load(name: str) -> Any:
    return json.loads((_HERE / f"{name}.json").read_text(encoding="utf-8"))


def _with_int_hours(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        row["hours"] = {int(day): hours for day, hours in row["hours"].items()}
    return rows


def _with_tuple_steps(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        row["steps"] = [tuple(step) for step in row["steps"]]
    return rows


REGIONS: list[dict[str, Any]] = _load("regions")
# Opening hours: weekday (0 = Monday .. 6 = Sunday) -> "HH:MM-HH:MM[,HH:MM-HH:MM]".
STUDIOS: list[dict[str, Any]] = _with_int_hours(_load("studios"))
SKILLS: dict[str, tuple[str, str]] = {
    code: (name_zh, name_en) for code, (name_zh, name_en) in _load("skills").items()}
CATEGORIES: list[dict[str, Any]] = _load("categories")
USERS: list[dict[str, Any]] = _load("users")
TEAMS: list[dict[str, Any]] = _load("teams")
SERVICE_POINTS: list[dict[str, Any]] = _with_int_hours(_load("service_points"))
# Each step: (hours after registration, action, actor username or None, params).
# Actor None on "feedback" means the resident who reported the case.
CASES: list[dict[str, Any]] = _with_tuple_steps(_load("cases"))
LANDMARKS: list[dict[str, Any]] = _load("landmarks")
# The duty rota (轮值): (studio, username, weekdays 0 = Monday, starts, ends).
DUTY_SHIFTS: list[tuple[str, str, tuple[int, ...], str, str]] = [
    (studio, username, tuple(weekdays), starts, ends)
    for studio, username, weekdays, starts, ends in _load("duty_shifts")]
# Shifts (班次), relative to today: see demo_shifts.py for the shape.
SHIFTS: list[dict[str, Any]] = _load("shifts")
# Households paired with members, and their visits (days ago): see demo_pairings.py.
PAIRINGS: list[dict[str, Any]] = _load("pairings")
# A week of the Shuyuanlu studio's work log and talk notes: see demo_worklog.py.
WORKLOG: list[dict[str, Any]] = _load("worklog")
