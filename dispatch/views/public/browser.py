"""What this browser remembers in its (signed) session cookie: the feedback keys of the
cases it filed, so that the plain link in a text message still shows it the feedback form,
and the cases it said "me too" to, so that it is counted once per case."""

from __future__ import annotations

from flask import session

from dispatch.models import Case
from dispatch.services.intake.filing import holds_feedback_key

KEYS = "feedback_keys"
SUPPORTED = "supported"
MAX_KEYS = 20  # the newest; the cookie must stay small
MAX_SUPPORTED = 100


def _kept() -> list[list[str]]:
    """[code, key] pairs, oldest first (a list: the session's JSON sorts a dict's keys)."""
    kept = session.get(KEYS)
    return [pair for pair in kept if isinstance(pair, list) and len(pair) == 2] \
        if isinstance(kept, list) else []


def remember_feedback_key(code: str, key: str) -> None:
    pairs = [pair for pair in _kept() if pair[0] != code]
    session[KEYS] = [*pairs, [code, key]][-MAX_KEYS:]


def feedback_key_for(code: str, given: str | None) -> str | None:
    """The key from the link if it has one, else the one this browser kept when filing."""
    if given:
        return given
    return next((key for kept_code, key in _kept() if kept_code == code), None)


def _supported() -> list[int]:
    kept = session.get(SUPPORTED)
    return [i for i in kept if isinstance(i, int)] if isinstance(kept, list) else []


def already_supported(case_id: int) -> bool:
    return case_id in _supported()


def remember_support(case_id: int) -> None:
    supported = [i for i in _supported() if i != case_id]
    session[SUPPORTED] = [*supported, case_id][-MAX_SUPPORTED:]


def filed_here(case: Case) -> bool:
    """This browser filed the case: its reporter is counted already."""
    return holds_feedback_key(case, feedback_key_for(case.tracking_code, None))
