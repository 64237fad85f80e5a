"""当场答复, answered on the spot: a matter that needs no work (a question at a reception
day, a phone call) is answered there and then. The answer is the reply the resident sees,
and the case is archived as resolved in the same step, with one ledger line."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from dispatch.models import Case, Outcome
from dispatch.services.cases.ledger import _stamp, apply_transition
from dispatch.services.errors import InvalidInput
from dispatch.services.permissions import Actor
from dispatch.services.text import xml_safe


def answer(case: Case, actor: Actor, text: str, **kw: Any) -> Case:
    """Received → archived (resolved), the answer kept as the reply."""
    text = xml_safe(text or "").strip()
    if not text:
        raise InvalidInput("text", _("Please write the answer that was given."))
    at = _stamp(kw)
    return apply_transition(case, actor, "answer", note=text, values={
        "reply_text": text, "replied_at": at, "archived_at": at,
        "outcome": Outcome.RESOLVED}, **kw)
