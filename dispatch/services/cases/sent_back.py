"""Work that came back to whoever does it: after a failed check (复核不通过) or after a
resident who was not satisfied (重新处理). The team sees why, in the words of the person
who sent it back and, for a resident's complaint, the resident's own."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.models import Case, CaseEvent, CaseStatus

# The steps that start (or restart) a round of work; the last of them says how it began.
ROUND_STARTS = ("finish", "return_work", "reopen", "reassign", "assign")


@dataclass(frozen=True)
class SentBack:
    event: CaseEvent                # the return_work or reopen line
    complaint: CaseEvent | None     # the resident's verdict that led to a reopen

    @property
    def after_feedback(self) -> bool:
        return self.event.action == "reopen"


def sent_back(case: Case) -> SentBack | None:
    """The failed check or the reopen, while the work it sent back is not done again."""
    if case.status != CaseStatus.HANDLING:
        return None
    events = list(case.events)
    last = next((i for i in range(len(events) - 1, -1, -1)
                 if events[i].action in ROUND_STARTS), None)
    if last is None or events[last].action not in ("return_work", "reopen"):
        return None
    complaint = None
    if events[last].action == "reopen":
        complaint = next((e for e in reversed(events[:last]) if e.action == "give_feedback"),
                         None)
    return SentBack(events[last], complaint)
