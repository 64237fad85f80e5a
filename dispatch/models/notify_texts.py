"""What the in-app inbox says, as codes with parameters worded when the message is read,
in the reader's language of the moment (an email or a group chat is worded once, when it
is sent). Messages stored before codes existed keep their text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _

MESSAGES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "new_case": lambda p: _("New case to receive: %(title)s", title=p["title"]),
    "new_work": lambda p: _("New work for you: %(title)s. Please accept it.",
                            title=p["title"]),
    "sent_back": lambda p: _("Sent back after the check: %(title)s. %(note)s",
                             title=p["title"], note=p["note"]),
    "shared_out": lambda p: _("Your captain shared out: %(title)s", title=p["title"]),
    "claimed": lambda p: _("%(name)s claimed: %(title)s", name=p["name"], title=p["title"]),
    "not_satisfied": lambda p: _("The resident is not satisfied: %(title)s",
                                 title=p["title"]),
    "overdue": lambda p: _("Overdue and still open: %(title)s", title=p["title"]),
    "escalated": lambda p: _("%(name)s escalated to you: %(title)s", name=p["name"],
                             title=p["title"]),
    "claim_ran_out": lambda p: _("Your claim on “%(title)s” ran out and was released.",
                                 title=p["title"]),
    "digest": lambda p: _("Today: %(open)d open, %(late)d overdue.", open=int(p["open"]),
                          late=int(p["late"])),
}


def render(code: str | None, params: Mapping[str, Any] | None, fallback: str = "") -> str:
    worded = MESSAGES.get(code or "")
    if worded is None:
        return fallback
    try:
        return worded(params or {})
    except (KeyError, TypeError, ValueError):
        return fallback
