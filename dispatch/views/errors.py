"""One place that turns errors into pages: domain errors, CSRF, 404, rate limits."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from dispatch.extensions import db
from dispatch.services.errors import DomainError

TITLES = {
    400: lambda: _("Bad request"),
    403: lambda: _("Not allowed"),
    404: lambda: _("Not found"),
    405: lambda: _("Method not allowed"),
    409: lambda: _("Conflict"),
    422: lambda: _("Please check your input"),
    429: lambda: _("Too many attempts"),
    500: lambda: _("Something went wrong"),
}


def render_error(status: int, message: str, **context: object) -> tuple[str, int]:
    title = TITLES.get(status, TITLES[500])()
    return render_template("errors/error.html", status=status, title=title,
                           message=message, **context), status


def _back_url() -> str | None:
    """Where the user sees the case as it is now, after a refused step."""
    path = request.path
    if path.startswith("/v/"):
        return "/v/"
    if path.startswith("/desk/cases/") and "/actions/" in path:
        return path.rsplit("/actions/", 1)[0]
    if path.startswith("/c/"):
        return "/c/" + path.split("/")[2]
    return None


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> tuple[str, int]:
        db.session.rollback()
        return render_error(error.http_status, error.message(), back_url=_back_url())

    @app.errorhandler(CSRFError)
    def _csrf_error(_error: CSRFError) -> tuple[str, int]:
        return render_error(400, _("This form has expired or did not come from this site. "
                                   "Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[str, int]:
        status = error.code or 500
        messages = {
            404: _("There is no such page or case."),
            403: _("Your role does not allow this."),
            405: _("This address does not accept that kind of request."),
            429: _("Too many attempts. Please wait a little and try again."),
        }
        return render_error(status, messages.get(status, error.description or ""))

    @app.errorhandler(500)
    def _server_error(_error: Exception) -> tuple[str, int]:
        db.session.rollback()
        return render_error(500, _("The server could not finish this request. "
                                   "Nothing was changed; please try again."))
