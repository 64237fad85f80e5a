"""The ledger's own words: a line the software writes (not one a person typed) is stored
as a code with parameters and worded when it is read, in the reader's language. Lines
written before codes existed keep their stored text.

Add a code here, then pass ``note_code=`` and ``note_params=`` to the ledger's writers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _

from dispatch.models.vocabulary import PHOTO_STAGE_LABELS, PhotoStage


def _field_label(field: str) -> str:
    labels = {"title": _("Title"), "description": _("Description"),
              "feedback_comment": _("Resident's comment")}
    return labels.get(field, field)


def _stage(value: str) -> str:
    try:
        return str(PHOTO_STAGE_LABELS[PhotoStage(value)])
    except ValueError:
        return value


def _checked_in(p: Mapping[str, Any]) -> str:
    text = _("Checked in %(km).1f km from the site.", km=float(p["km"]))
    return text + " " + _("Flagged: farther than expected.") if p.get("far") else text


def _feedback(p: Mapping[str, Any]) -> str:
    verdict = _("Satisfied") if p.get("satisfied") else _("Not satisfied")
    fixed = {True: " · " + _("Fixed"), False: " · " + _("Not fixed yet")}.get(p.get("fixed"), "")
    return f"{verdict} · {int(p['rating'])}/5{fixed}"


NOTES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "checked_in": _checked_in,
    "claim_extended": lambda p: _("Extended by %(n)d hours.", n=int(p["hours"])),
    "claim_ran_out": lambda p: _("The claim ran out."),
    "shared_out": lambda p: _("Shared out to %(name)s.", name=p["name"]),
    "merged_in": lambda p: _("Case %(code)s was merged into this one: its reporter and "
                             "%(n)d supporters carried over.", code=p["code"], n=int(p["n"])),
    "escalated_by_hand": lambda p: _("Escalated by hand:"),
    "moderated_text": lambda p: _("%(field)s changed for the public page. Original "
                                  "text:\n%(original)s", field=_field_label(p["field"]),
                                  original=p["original"]),
    "photo_hidden": lambda p: _("Photo %(n)d (%(stage)s) hidden from the public pages.",
                                n=int(p["photo"]), stage=_stage(p["stage"])),
    "photo_shown": lambda p: _("Photo %(n)d (%(stage)s) shown on the public pages again.",
                               n=int(p["photo"]), stage=_stage(p["stage"])),
    "feedback": _feedback,
    "auto_confirmed": lambda p: _("No feedback within %(n)d days: confirmed.",
                                  n=int(p["days"])),
    "past_deadline": lambda p: _("Past its deadline of %(due)s.", due=format_datetime(
        datetime.fromisoformat(p["due"]), "yyyy-MM-dd HH:mm") if p.get("due") else ""),
}


def render(code: str | None, params: Mapping[str, Any] | None) -> str:
    """The words of a coded line in the current language ("" without a code)."""
    if not code:
        return ""
    worded = NOTES.get(code)
    if worded is None:
        return code
    try:
        return worded(params or {})
    except (KeyError, TypeError, ValueError):
        return code  # a line from a newer version of the code: never fail to show a ledger
