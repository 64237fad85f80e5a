"""Moderation: what the public sees of a case, changed by the desk when it is abusive.

A text (title, description, the resident's feedback comment) is redacted by replacing the
column the public pages read; the original goes into an internal ledger line ("moderate"),
so the ledger keeps what was changed, by whom and when, and the public never sees it. A
photo is hidden from (or shown again on) the public pages by ``CasePhoto.hidden``, with a
ledger line too. Each change is one conditional UPDATE on the version the coordinator saw
(a stale page is a ``Conflict``), then one internal ledger line. Flushes, never commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, update

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, CasePhoto
from dispatch.services.cases.ledger import amend
from dispatch.services.errors import Conflict, InvalidInput, NotFound, NotPermitted
from dispatch.services.permissions import Actor

# The texts the public pages show, with their column's length (None: unlimited).
FIELDS = {
    "title": (_l("Title"), 120),
    "description": (_l("Description"), None),
    "feedback_comment": (_l("Resident's comment"), None),
}

# The texts the team doing the work reads as the resident wrote them.
WORK_TEXTS = ("title", "description")


def default_replacement() -> str:
    return _("(removed by the studio)")


def _desk(actor: Actor) -> None:
    if not actor.at_desk:
        raise NotPermitted("moderate")


def redact(case: Case, actor: Actor, field: str, replacement: str | None,
           expected_version: int) -> CaseEvent:
    """Replace a public text; an empty replacement hides it behind a standard line."""
    _desk(actor)
    if field not in FIELDS:
        raise InvalidInput("field", _("This text cannot be moderated."))
    label, length = FIELDS[field]
    original = getattr(case, field)
    if not original:
        raise InvalidInput("field", _("There is no such text on this case."))
    text = (replacement or "").strip() or default_replacement()
    if length is not None:
        text = text[:length]
    if text == original:
        raise InvalidInput("replacement", _("The new text is the same as the old one."))
    values: dict[str, object] = {field: text}
    if field in WORK_TEXTS:  # the first original stays, however often it is moderated
        kept = getattr(Case, f"original_{field}")
        values[f"original_{field}"] = func.coalesce(kept, original)
    return amend(case, actor, "moderate", values, expected_version=expected_version,
                 internal=True, note_code="moderated_text",
                 note_params={"field": field, "original": original})


def set_photo_hidden(case: Case, actor: Actor, photo_id: int, hidden: bool,
                     expected_version: int) -> CaseEvent:
    """Hide a photo from the public pages, or show it again."""
    _desk(actor)
    photo = db.session.get(CasePhoto, photo_id)
    if photo is None or photo.case_id != case.id:
        raise NotFound()
    if photo.hidden == hidden:
        raise InvalidInput("photo", _("The photo is already hidden.") if hidden
                           else _("The photo is already shown."))
    if case.version != expected_version:
        raise Conflict(case.id, case.status)  # the ledger line below checks it in the UPDATE
    changed = db.session.execute(
        update(CasePhoto).where(CasePhoto.id == photo.id, CasePhoto.hidden == (not hidden))
        .values(hidden=hidden).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict(case.id, case.status)
    db.session.refresh(photo)
    return amend(case, actor, "moderate", {}, expected_version=expected_version,
                 internal=True, note_code="photo_hidden" if hidden else "photo_shown",
                 note_params={"photo": photo.id, "stage": photo.stage.value})
