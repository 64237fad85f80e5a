"""What each action button on a case does: one table from action to the service step that
carries it out, with the form's fields as plain data.

The desk and the field post the same actions; both call ``run``. The permission check is
made once, here, before anything is parsed, looked up or stored (a volunteer who may not
finish a case never has his photos processed); the ledger's writer checks the state again
inside its conditional UPDATE, which is what settles a race.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

from flask_babel import gettext as _

from dispatch.models import Action, Case
from dispatch.services.cases import answers, claims, lifecycle, replies
from dispatch.services.cases.queries import case_by_tracking_code
from dispatch.services.errors import InvalidInput
from dispatch.services.permissions import Actor, ensure_allowed
from dispatch.services.photos import discard_photos, store_photos
from dispatch.services.responders.suggest import parse_assignee

Fields = Mapping[str, Any]
Command = Callable[[Case, Actor, Fields], object]


def _version(fields: Fields) -> dict[str, Any]:
    return {"expected_version": fields.get("version")}


def _note(fields: Fields) -> str:
    return fields.get("note") or ""


def _with_note(step: Callable[..., object]) -> Command:
    """The steps that take nothing but a note and the version the page showed."""
    def command(case: Case, actor: Actor, fields: Fields) -> object:
        return step(case, actor, note=_note(fields), **_version(fields))
    return command


def _assignment(step: Callable[..., object]) -> Command:
    def command(case: Case, actor: Actor, fields: Fields) -> object:
        team, volunteer = parse_assignee(fields.get("assignee") or "")
        if team is None and volunteer is None:
            raise InvalidInput("assignee", _("Choose a team or a volunteer."))
        return step(case, actor, team=team, volunteer=volunteer, note=_note(fields),
                    **_version(fields))
    return command


def _reply(case: Case, actor: Actor, fields: Fields) -> object:
    text = (fields.get("text") or "").strip()
    if not text and fields.get("template"):  # no script on the page: the template as it is
        text = replies.render(*replies.parse(fields["template"]), case) or ""
    return lifecycle.reply(case, actor, text, **_version(fields))


def yes_or_no(answer: object) -> bool | None:
    """A yes/no question's answer; anything else is "not said"."""
    return {"yes": True, "no": False}.get(str(answer)) if answer else None


def _give_feedback(case: Case, actor: Actor, fields: Fields) -> object:
    return lifecycle.give_feedback(
        case, actor, satisfied=fields.get("satisfied") == "yes", rating=int(fields["rating"]),
        comment=fields.get("comment") or "", fixed=yes_or_no(fields.get("fixed")),
        **_version(fields))


def _answer(case: Case, actor: Actor, fields: Fields) -> object:
    return answers.answer(case, actor, fields.get("text") or "", **_version(fields))


def _mark_duplicate(case: Case, actor: Actor, fields: Fields) -> object:
    original = case_by_tracking_code(fields.get("original") or "")
    if original is None:
        raise InvalidInput("original", _("No case has this tracking code."))
    return lifecycle.mark_duplicate(case, actor, original, note=_note(fields),
                                    **_version(fields))


def _mark_not_ours(case: Case, actor: Actor, fields: Fields) -> object:
    return lifecycle.mark_not_ours(case, actor, fields.get("reason") or "", **_version(fields))


def _arrive(case: Case, actor: Actor, fields: Fields) -> object:
    return lifecycle.arrive(case, actor, note=_note(fields), latitude=fields.get("latitude"),
                            longitude=fields.get("longitude"), **_version(fields))


def _finish(case: Case, actor: Actor, fields: Fields) -> object:
    uploads: list[BinaryIO] = list(fields.get("photos") or [])
    stored = store_photos(uploads)
    try:
        return lifecycle.finish(case, actor, _note(fields), photos=tuple(stored),
                                **_version(fields))
    except Exception:
        discard_photos(stored)  # the case did not change: its photos must not stay behind
        raise


def _claim(case: Case, actor: Actor, fields: Fields) -> object:
    return claims.claim(case, actor)


def _release(case: Case, actor: Actor, fields: Fields) -> object:
    return claims.release(case, actor, _note(fields))


COMMANDS: dict[str, Command] = {
    Action.RECEIVE: _with_note(lifecycle.receive),
    Action.ASSIGN: _assignment(lifecycle.assign),
    Action.REASSIGN: _assignment(lifecycle.reassign),
    Action.ACCEPT: _with_note(lifecycle.accept),
    Action.DECLINE: _with_note(lifecycle.decline),
    Action.ARRIVE: _arrive,
    Action.FINISH: _finish,
    Action.CHECK_WORK: _with_note(lifecycle.check_work),
    Action.RETURN_WORK: _with_note(lifecycle.return_work),
    Action.REPLY: _reply,
    Action.GIVE_FEEDBACK: _give_feedback,
    Action.REOPEN: _with_note(lifecycle.reopen),
    Action.ARCHIVE: _with_note(lifecycle.archive),
    Action.MARK_DUPLICATE: _mark_duplicate,
    Action.MARK_NOT_OURS: _mark_not_ours,
    Action.CLAIM: _claim,
    Action.RELEASE: _release,
    Action.ANSWER: _answer,
}


def check(case: Case, actor: Actor, action: str) -> None:
    """403 or 409 unless ``actor`` may do ``action`` to ``case`` now; a claim of a case
    already taken is refused naming who holds it."""
    if action == Action.CLAIM:
        claims.refuse_if_taken(case, actor)
    else:
        ensure_allowed(case, actor, action)


def run(action: str, case: Case, actor: Actor, fields: Fields) -> object:
    """Carry out ``action`` with the form's fields (validated by the caller's form)."""
    command = COMMANDS[action]
    if action != Action.CLAIM:  # a claim checks itself (claims.claim), naming the holder
        ensure_allowed(case, actor, action)
    return command(case, actor, fields)
