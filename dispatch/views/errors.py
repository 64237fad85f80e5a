"""One place that turns errors into pages: domain errors, CSRF, 404, rate limits, and the
server's own failures (500, and 503 while the database cannot be reached).

The 500 and 503 pages must render with the database down: they skip the context processors
and base templates (which read ``current_user`` and the inbox), and a failing rollback of a
dead connection is swallowed.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Flask, current_app, g, jsonify, redirect, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from dispatch.extensions import db, limiter
from dispatch.models import User
from dispatch.services.errors import DomainError
from dispatch.views.templating import local_time

TITLES = {
    400: lambda: _("Bad request"),
    403: lambda: _("Not allowed"),
    404: lambda: _("Not found"),
    405: lambda: _("Method not allowed"),
    409: lambda: _("Conflict"),
    422: lambda: _("Please check your input"),
    429: lambda: _("Too many attempts"),
    500: lambda: _("Something went wrong"),
    503: lambda: _("Service temporarily unavailable"),
}
log = logging.getLogger(__name__)
# The database did not answer (down, restarting, out of connections): try again shortly.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


def render_error(status: int, message: str, **context: object) -> tuple[object, int]:
    if _wants_json():
        return jsonify(status=status, message=message), status
    title = TITLES.get(status, TITLES[500])()
    return render_template("errors/error.html", status=status, title=title,
                           message=message, **context), status


def render_standalone(status: int, message: str) -> tuple[object, int, dict[str, str]]:
    """The page for the server's own failures: no database, no context processors."""
    _rollback_quietly()
    headers = {"Retry-After": "10"} if status == 503 else {}
    if _wants_json():
        return jsonify(status=status, message=message), status, headers
    try:
        language = str(get_locale() or "zh")
    except Exception:  # the locale comes from the session cookie; never fail here
        language = "zh"
    page = current_app.jinja_env.get_template("errors/standalone.html").render(
        status=status, title=TITLES.get(status, TITLES[500])(), message=message,
        language=language)
    return page, status, headers


def _wants_json() -> bool:
    """The JSON API answers its errors in JSON (``status`` and ``message``)."""
    return request.path.startswith("/api/")


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: there is nothing to roll back
        log.warning("rollback after a failed request failed too", exc_info=True)


def _rollback_keeping_reader() -> None:
    """Roll back a refused step, keeping the signed-in user as this request read them. A
    rollback expires every object, and the refusal page would read the user again only to
    show their name; one the request changed is read again as usual."""
    user = g.get("_login_user")  # where Flask-Login keeps the user it loaded
    keep = isinstance(user, User) and user in db.session and not db.session.is_modified(user)
    if keep:
        db.session.expunge(user)
    db.session.rollback()
    if keep:
        db.session.add(user)


def _back_url() -> str | None:
    """Where the user sees the case as it is now, after a refused step (on the phone, at
    the case's own card)."""
    path = request.path
    parts = path.split("/")
    if path.startswith("/v/cases/") and len(parts) > 4 and parts[3].isdigit():
        return f"/v/team#case-{parts[3]}" if parts[4] == "share" else f"/v/#case-{parts[3]}"
    if path.startswith("/v/"):
        return "/v/"
    if path.startswith("/desk/cases/") and "/actions/" in path:
        return path.rsplit("/actions/", 1)[0]
    if path.startswith("/c/"):
        return "/c/" + path.split("/")[2]
    return None


def _retry_message() -> str:
    """When the refused request may be tried again, in the reader's time zone."""
    current = limiter.current_limit
    if current is None:
        return _("Too many attempts. Please wait a little and try again.")
    until = datetime.fromtimestamp(current.reset_at, UTC)
    return _("Too many attempts. Please try again after %(time)s.", time=local_time(until))


def register(app: Flask) -> None:
    @app.teardown_appcontext
    def _remove_session_quietly(_error: BaseException | None) -> None:
        """Runs before Flask-SQLAlchemy's own teardown (teardowns run last registered
        first). Its ``session.remove()`` rolls back, and when PostgreSQL has just restarted
        that rollback fails on the dead connection: the error would escape the app after
        the response was made and gunicorn would answer its own bare 500 instead."""
        try:
            db.session.remove()
        except Exception:  # the connection is gone; SQLAlchemy has discarded it already
            log.warning("closing the session after a request failed", exc_info=True)
            db.session.registry.clear()

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> tuple[object, int]:
        _rollback_keeping_reader()
        return render_error(error.http_status, error.message(), back_url=_back_url())

    @app.errorhandler(CSRFError)
    def _csrf_error(_error: CSRFError) -> tuple[object, int]:
        return render_error(400, _("This form has expired or did not come from this site. "
                                   "Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[object, int] | Response:
        status = error.code or 500
        back = _back_url() if status == 405 and request.method in ("GET", "HEAD") else None
        if back is not None:  # a reload or a bookmark of a form's address: show its page
            return redirect(back, 303)
        if status == 429 and getattr(error, "response", None) is not None:
            return error.response  # the page's own answer (the form, as it was typed)
        messages = {
            404: _("There is no such page or case."),
            403: _("Your role does not allow this."),
            405: _("This address does not accept that kind of request."),
            413: _("The request is too large."),
            415: _("This kind of content is not accepted here."),
            429: _retry_message(),
        }
        return render_error(status, messages.get(status, error.description or ""))

    @app.errorhandler(500)
    def _server_error(error: Exception) -> tuple[object, int, dict[str, str]]:
        if isinstance(getattr(error, "original_exception", None), UNAVAILABLE):
            return _database_unavailable(error)
        return render_standalone(500, _("The server could not finish this request. "
                                        "Nothing was changed; please try again."))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def _database_unavailable(error: Exception) -> tuple[object, int, dict[str, str]]:
        log.error("database unavailable for %s %s: %s", request.method, request.path,
                  getattr(error, "original_exception", error))
        return render_standalone(503, _("The service is temporarily unavailable. "
                                        "Please try again in a moment."))
