"""The desk's register (登记) for a resident who walked in, phoned, wrote in the WeChat
group, sent a letter, or was met on patrol: the same filing as the resident's own form
(photos checked, one case per form token), with the channel in the case and its ledger,
and then, in the same transaction, the next steps the coordinator chose, each through the
case commands (so each writes its own ledger line and checks its own state):

* register only: it waits to be received like any other case;
* receive: 接待 at once;
* receive and assign: 接待 and 派单 to a team or a volunteer;
* answer on the spot: 接待, then answered and archived (当场答复).

During a reception session (接待日) the person received is written to the session's list
with what the matter became.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dispatch.models import (
    Action,
    Case,
    CaseKind,
    CaseStatus,
    Category,
    IntakeChannel,
    ReceptionSession,
    Studio,
    VisitOutcome,
)
from dispatch.services.cases import commands
from dispatch.services.desk import reception
from dispatch.services.errors import InvalidInput, NotPermitted
from dispatch.services.intake.filing import NewReport, file_report
from dispatch.services.permissions import Actor

REGISTER, RECEIVE, ASSIGN, ANSWER = "register", "receive", "assign", "answer"
NEXT_STEPS = {
    REGISTER: _l("Register only"),
    RECEIVE: _l("Register and receive"),
    ASSIGN: _l("Register, receive and assign"),
    ANSWER: _l("Answered on the spot: register and archive"),
}


@dataclass
class DeskIntake:
    channel: IntakeChannel
    kind: CaseKind
    category: Category
    description: str
    latitude: float
    longitude: float
    submission_token: str
    title: str = ""
    address: str = ""
    reporter_name: str | None = None
    reporter_phone: str | None = None
    photos: list[BinaryIO] = field(default_factory=list)
    then: str = REGISTER
    assignee: str = ""  # "team:3" or "user:7" when assigning
    answer: str = ""    # the answer given, when answered on the spot
    session: ReceptionSession | None = None
    studio: Studio | None = None  # the desk's own (or the session's); None: the nearest


def _check(intake: DeskIntake, actor: Actor) -> None:
    """What can be refused before anything is stored."""
    if not actor.at_desk:
        raise NotPermitted("register")
    if intake.channel is IntakeChannel.ONLINE:
        raise InvalidInput("channel", _("Choose how the matter reached the studio."))
    if intake.then not in NEXT_STEPS:
        raise InvalidInput("then", _("Choose what happens next."))
    if intake.then == ASSIGN and not intake.assignee:
        raise InvalidInput("assignee", _("Choose a team or a volunteer."))
    if intake.then == ANSWER and not intake.answer.strip():
        raise InvalidInput("answer", _("Please write the answer that was given."))


def register_at_desk(intake: DeskIntake, actor: Actor) -> Case:
    """登记 at the desk and the chosen next steps, in the caller's transaction. A second
    submit of the same form lands on the case the first one filed, doing nothing more."""
    _check(intake, actor)
    case = file_report(NewReport(
        kind=intake.kind, category=intake.category, description=intake.description,
        latitude=intake.latitude, longitude=intake.longitude,
        submission_token=intake.submission_token, title=intake.title,
        address=intake.address, reporter_name=intake.reporter_name,
        reporter_phone=intake.reporter_phone, photos=intake.photos, actor=actor,
        channel=intake.channel,
        studio=intake.session.studio if intake.session is not None else intake.studio))
    if case.version != 1 or reception.visit_of_case(case.id) is not None:
        return case  # the form was submitted twice: the first submit did it all
    if intake.then in (RECEIVE, ASSIGN, ANSWER):
        commands.run(Action.RECEIVE, case, actor, {})
    if intake.then == ASSIGN:
        commands.run(Action.ASSIGN, case, actor, {"assignee": intake.assignee})
    elif intake.then == ANSWER:
        commands.run(Action.ANSWER, case, actor, {"text": intake.answer})
    if intake.session is not None and actor.user is not None:
        outcome = VisitOutcome.ANSWERED if case.status is CaseStatus.ARCHIVED \
            else VisitOutcome.CASE
        reception.record_visit(intake.session, outcome, actor.user, case=case,
                               name=intake.reporter_name, phone=intake.reporter_phone)
    return case
