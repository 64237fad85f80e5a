"""The one vocabulary of a case: kinds, statuses, assignment states, outcomes, the actions
that can happen to a case and the transition table between statuses.

The transition table below is the single source of what may happen to a case; the
lifecycle service enforces it and the case page offers exactly what it allows.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from dispatch.models.base import LabelledEnum


class CaseKind(LabelledEnum):
    HAZARD = "hazard"
    WISH = "wish"
    INSPECTION = "inspection"

    @classmethod
    def _labels(cls) -> dict[CaseKind, str]:
        return KIND_LABELS


KIND_LABELS = {
    CaseKind.HAZARD: _l("Hazard"),
    CaseKind.WISH: _l("Micro-wish"),
    CaseKind.INSPECTION: _l("Inspection finding"),
}


class IntakeChannel(LabelledEnum):
    """How a matter reached the studio: the resident's own form online, or the desk's
    register for a walk-in, a phone call, a WeChat group message, a letter or a patrol."""

    WALK_IN = "walk_in"
    PHONE = "phone"
    WECHAT = "wechat"
    LETTER = "letter"
    PATROL = "patrol"
    ONLINE = "online"

    @classmethod
    def _labels(cls) -> dict[IntakeChannel, str]:
        return CHANNEL_LABELS


CHANNEL_LABELS = {
    IntakeChannel.WALK_IN: _l("Walk-in"),
    IntakeChannel.PHONE: _l("Phone call"),
    IntakeChannel.WECHAT: _l("WeChat group"),
    IntakeChannel.LETTER: _l("Letter"),
    IntakeChannel.PATROL: _l("Patrol"),
    IntakeChannel.ONLINE: _l("Online"),
}
# What the desk registers; "online" is the resident's own form.
DESK_CHANNELS = tuple(c for c in IntakeChannel if c is not IntakeChannel.ONLINE)


class ClockUnit(LabelledEnum):
    """What a category's clocks count: hours, or working days (the official calendar)."""

    HOURS = "hours"
    WORKDAYS = "workdays"

    @classmethod
    def _labels(cls) -> dict[ClockUnit, str]:
        return CLOCK_UNIT_LABELS


CLOCK_UNIT_LABELS = {
    ClockUnit.HOURS: _l("Hours"),
    ClockUnit.WORKDAYS: _l("Working days"),
}


class CaseStatus(LabelledEnum):
    """The six steps of the reception flow: 登记 接待 处理 回复 反馈 归档."""

    REGISTERED = "registered"
    RECEIVED = "received"
    HANDLING = "handling"
    REPLIED = "replied"
    FEEDBACK = "feedback"
    ARCHIVED = "archived"

    @classmethod
    def _labels(cls) -> dict[CaseStatus, str]:
        return STATUS_LABELS


STATUS_LABELS = {
    CaseStatus.REGISTERED: _l("Registered"),
    CaseStatus.RECEIVED: _l("Received"),
    CaseStatus.HANDLING: _l("Being handled"),
    CaseStatus.REPLIED: _l("Replied"),
    CaseStatus.FEEDBACK: _l("Feedback given"),
    CaseStatus.ARCHIVED: _l("Archived"),
}


class AssignmentStatus(LabelledEnum):
    """Where the work stands while a case is being handled."""

    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    ON_SITE = "on_site"
    DONE = "done"

    @classmethod
    def _labels(cls) -> dict[AssignmentStatus, str]:
        return ASSIGNMENT_LABELS


ASSIGNMENT_LABELS = {
    AssignmentStatus.ASSIGNED: _l("Assigned"),
    AssignmentStatus.ACCEPTED: _l("Accepted"),
    AssignmentStatus.ON_SITE: _l("On site"),
    AssignmentStatus.DONE: _l("Done"),
}


class Outcome(LabelledEnum):
    """Why a case was archived."""

    RESOLVED = "resolved"
    DUPLICATE = "duplicate"
    NOT_OURS = "not_ours"

    @classmethod
    def _labels(cls) -> dict[Outcome, str]:
        return OUTCOME_LABELS


OUTCOME_LABELS = {
    Outcome.RESOLVED: _l("Resolved"),
    Outcome.DUPLICATE: _l("Duplicate"),
    Outcome.NOT_OURS: _l("Not ours"),
}


# Who may take a step: "desk" = coordinator or admin; "assignee" = the assigned volunteer
# or the captain of the assigned team; "crew" = the assignee or any member of that team;
# "volunteer" = any active captain or volunteer (claiming); "resident" = whoever holds the
# tracking code; "system" = the periodic jobs.
# "reviewer" = the captain of the assigned team (or of the assigned volunteer's team), who
# may check finished work as the coordinator can.
DESK, ASSIGNEE, CREW, VOLUNTEER = "desk", "assignee", "crew", "volunteer"
REVIEWER = "reviewer"
RESIDENT, SYSTEM = "resident", "system"


class Action(enum.StrEnum):
    """Every line a case's ledger can hold; the transitions are a subset (the others are
    recorded without a change of status: register, moderate, escalate ...)."""

    REGISTER = "register"
    RECEIVE = "receive"
    ASSIGN = "assign"
    REASSIGN = "reassign"
    ACCEPT = "accept"
    DECLINE = "decline"
    ARRIVE = "arrive"
    FINISH = "finish"
    REPLY = "reply"
    GIVE_FEEDBACK = "give_feedback"
    REOPEN = "reopen"
    ARCHIVE = "archive"
    MARK_DUPLICATE = "mark_duplicate"
    MARK_NOT_OURS = "mark_not_ours"
    ADD_NOTE = "add_note"
    DUPLICATE_LINKED = "duplicate_linked"
    CLAIM = "claim"
    RELEASE = "release"
    EXPIRE_CLAIM = "expire_claim"
    EXTEND_CLAIM = "extend_claim"
    ON_THE_WAY = "on_the_way"
    SHARE_OUT = "share_out"
    AUTO_CONFIRM = "auto_confirm"
    ESCALATE = "escalate"
    CHECK_WORK = "check_work"
    RETURN_WORK = "return_work"
    MODERATE = "moderate"
    MERGED_IN = "merged_in"
    ANSWER = "answer"
    RETURN_TO_TEAM = "return_to_team"


S, A = CaseStatus, AssignmentStatus
UNFINISHED_WORK = frozenset({A.ASSIGNED, A.ACCEPTED, A.ON_SITE})


@dataclass(frozen=True)
class Transition:
    action: str
    from_status: CaseStatus
    from_assignments: frozenset[AssignmentStatus | None]
    to_status: CaseStatus
    to_assignment: AssignmentStatus | None
    actors: frozenset[str]
    label: str
    danger: bool = False

    def applies_to(self, status: CaseStatus, assignment: AssignmentStatus | None) -> bool:
        return status == self.from_status and assignment in self.from_assignments


def _t(action: str, frm: CaseStatus, frm_a: frozenset[AssignmentStatus | None] | None,
       to: CaseStatus, to_a: AssignmentStatus | None, actors: set[str], label: str,
       danger: bool = False) -> Transition:
    return Transition(action, frm, frm_a or frozenset({None}), to, to_a, frozenset(actors),
                      label, danger)


TRANSITIONS: dict[str, Transition] = {Action(t.action): t for t in (
    _t("receive", S.REGISTERED, None, S.RECEIVED, None, {DESK}, _l("Receive")),
    _t("assign", S.RECEIVED, None, S.HANDLING, A.ASSIGNED, {DESK}, _l("Assign")),
    _t("mark_duplicate", S.RECEIVED, None, S.ARCHIVED, None, {DESK},
       _l("Archive as duplicate"), danger=True),
    _t("mark_not_ours", S.RECEIVED, None, S.ARCHIVED, None, {DESK},
       _l("Archive as not ours"), danger=True),
    _t("accept", S.HANDLING, frozenset({A.ASSIGNED}), S.HANDLING, A.ACCEPTED,
       {DESK, ASSIGNEE}, _l("Accept")),
    _t("decline", S.HANDLING, frozenset({A.ASSIGNED}), S.RECEIVED, None, {ASSIGNEE},
       _l("Decline"), danger=True),
    _t("arrive", S.HANDLING, frozenset({A.ACCEPTED}), S.HANDLING, A.ON_SITE,
       {DESK, CREW}, _l("On site")),
    _t("finish", S.HANDLING, frozenset({A.ON_SITE}), S.HANDLING, A.DONE,
       {DESK, CREW}, _l("Done")),
    _t("reassign", S.HANDLING, UNFINISHED_WORK, S.HANDLING, A.ASSIGNED, {DESK},
       _l("Reassign")),
    # 认领: a volunteer takes a micro-wish or a published task straight into their hands.
    _t("claim", S.RECEIVED, None, S.HANDLING, A.ACCEPTED, {VOLUNTEER}, _l("Claim")),
    _t("release", S.HANDLING, frozenset({A.ACCEPTED, A.ON_SITE}), S.RECEIVED, None,
       {ASSIGNEE, DESK}, _l("Release"), danger=True),
    _t("expire_claim", S.HANDLING, frozenset({A.ACCEPTED, A.ON_SITE}), S.RECEIVED, None,
       {SYSTEM}, _l("Release an expired claim")),
    # A reply left without feedback for AUTO_CONFIRM_DAYS counts as confirmed.
    _t("auto_confirm", S.REPLIED, None, S.FEEDBACK, None, {SYSTEM},
       _l("Confirm without feedback")),
    # 复核: a second person checks the finished work against the note and after photos.
    _t("check_work", S.HANDLING, frozenset({A.DONE}), S.HANDLING, A.DONE, {DESK, REVIEWER},
       _l("Work checked: passed")),
    _t("return_work", S.HANDLING, frozenset({A.DONE}), S.HANDLING, A.ACCEPTED,
       {DESK, REVIEWER}, _l("Check failed: send back"), danger=True),
    _t("reply", S.HANDLING, frozenset({A.DONE}), S.REPLIED, None, {DESK},
       _l("Reply to resident")),
    _t("give_feedback", S.REPLIED, None, S.FEEDBACK, None, {DESK, RESIDENT},
       _l("Record feedback")),
    _t("reopen", S.FEEDBACK, None, S.HANDLING, A.ASSIGNED, {DESK},
       _l("Send back for handling"), danger=True),
    _t("archive", S.FEEDBACK, None, S.ARCHIVED, None, {DESK}, _l("Archive")),
    # 当场答复: a question answered there and then (a reception day's walk-in, a call):
    # the answer is the reply, and the case is archived as resolved in the same step.
    _t("answer", S.RECEIVED, None, S.ARCHIVED, None, {DESK},
       _l("Answer on the spot and archive")),
)}

# How each ledger line reads: what happened, in the past tense (buttons use the labels above).
ACTION_LABELS: dict[str, str] = {
    "register": _l("Registered"),
    "receive": _l("Received"),
    "assign": _l("Assigned"),
    "reassign": _l("Reassigned"),
    "accept": _l("Accepted"),
    "decline": _l("Declined by the assignee"),
    "arrive": _l("On site"),
    "finish": _l("Work done"),
    "reply": _l("Replied to the resident"),
    "give_feedback": _l("Feedback given"),
    "reopen": _l("Sent back for handling"),
    "archive": _l("Archived"),
    "mark_duplicate": _l("Archived as a duplicate"),
    "mark_not_ours": _l("Archived: not for this studio"),
    "add_note": _l("Internal note"),
    "duplicate_linked": _l("A duplicate was linked"),
    "claim": _l("Claimed"),
    "release": _l("Claim released"),
    "expire_claim": _l("Claim expired and released"),
    "extend_claim": _l("Claim extended"),
    "on_the_way": _l("On the way"),
    "share_out": _l("Shared out to a team member"),
    "auto_confirm": _l("Confirmed: no feedback in time"),
    "escalate": _l("Escalated to the studio lead"),
    "check_work": _l("Work checked and passed"),
    "return_work": _l("Check failed: work sent back"),
    "moderate": _l("Moderated for the public page"),
    "merged_in": _l("Supporters carried over from a duplicate"),
    "answer": _l("Answered on the spot and archived"),
    "return_to_team": _l("Back to the team: the volunteer left"),
}


# The column that adds up the time spent in each stage.
STAGE_SECONDS = {
    CaseStatus.REGISTERED: "seconds_registered",
    CaseStatus.RECEIVED: "seconds_received",
    CaseStatus.HANDLING: "seconds_handling",
    CaseStatus.REPLIED: "seconds_replied",
    CaseStatus.FEEDBACK: "seconds_feedback",
}


class PhotoStage(LabelledEnum):
    REPORT = "report"  # taken by the resident when reporting
    AFTER = "after"    # taken by the volunteer when the work is done

    @classmethod
    def _labels(cls) -> dict[PhotoStage, str]:
        return PHOTO_STAGE_LABELS


PHOTO_STAGE_LABELS = {
    PhotoStage.REPORT: _l("Reported"),
    PhotoStage.AFTER: _l("After the work"),
}

# A case is open until it is replied to: the desk and the field still owe the resident.
OPEN_STATUSES = (CaseStatus.REGISTERED, CaseStatus.RECEIVED, CaseStatus.HANDLING)
