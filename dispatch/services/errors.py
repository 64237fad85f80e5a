"""Domain errors: small classes with attributes, turned into an HTTP status and a
translated message by one error handler (``dispatch.views.errors``)."""

from __future__ import annotations

from flask_babel import gettext as _

from dispatch.models.vocabulary import TRANSITIONS, CaseStatus


class DomainError(Exception):
    http_status = 400

    def message(self) -> str:
        return _("The request could not be carried out.")


class NotFound(DomainError):
    http_status = 404

    def message(self) -> str:
        return _("Not found.")


class NotPermitted(DomainError):
    http_status = 403

    def __init__(self, action: str = "") -> None:
        super().__init__(action)
        self.action = action

    def message(self) -> str:
        return _("Your role does not allow this action on this case.")


class IllegalTransition(DomainError):
    """The action is not possible from the case's current status."""

    http_status = 409

    def __init__(self, action: str, status: str, assignment: str | None = None,
                 reason: str | None = None) -> None:
        super().__init__(action, status, assignment)
        self.action, self.status, self.assignment, self.reason = action, status, assignment, reason

    def message(self) -> str:
        if self.reason:
            return self.reason
        transition = TRANSITIONS.get(self.action)
        return _("“%(action)s” is not possible while the case is “%(status)s”.",
                 action=transition.label if transition else self.action,
                 status=CaseStatus(self.status).label)


class Conflict(DomainError):
    """Someone else changed the case between reading it and acting on it."""

    http_status = 409

    def __init__(self, case_id: int, status: str) -> None:
        super().__init__(case_id, status)
        self.case_id, self.status = case_id, status

    def message(self) -> str:
        return _("Someone else changed this case a moment ago; it is now “%(status)s”. "
                 "Nothing was changed by you: look at its current state and try again.",
                 status=CaseStatus(self.status).label)


class InvalidInput(DomainError):
    http_status = 422

    def __init__(self, field: str, text: str) -> None:
        super().__init__(field, text)
        self.field, self.text = field, text

    def message(self) -> str:
        return self.text
