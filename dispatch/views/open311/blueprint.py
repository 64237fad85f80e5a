"""The Open311 blueprint: no session, no CSRF (clients hold an API key instead), a smaller
body limit than the site's, the jurisdiction check, and every error in the
specification's format (a list of ``code`` and ``description``) in the format asked for.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge

from dispatch.extensions import csrf, db, limiter
from dispatch.services.errors import DomainError, InvalidInput
from dispatch.views.open311.formats import error_body, respond

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

bp = Blueprint("open311", __name__, url_prefix="/open311")
csrf.exempt(bp)
# Reads need no key; they are limited per address like the site's other public lists.
limiter.limit(lambda: current_app.config["OPEN311_READ_LIMITS"])(bp)

MESSAGES = {
    400: lambda: _("The request is not valid."),
    403: lambda: _("A valid api_key is required."),
    404: lambda: _("Not found."),
    405: lambda: _("This address does not accept that kind of request."),
    413: lambda: _("The request body is too large."),
    415: lambda: _("Send the fields form-encoded (application/x-www-form-urlencoded) or as XML."),
    429: lambda: _("Too many requests. Please wait a little and try again."),
}


def requested_format() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in ("json", "xml"):
        return str(fmt)
    return "json" if request.path.endswith(".json") else "xml"


def error(status: int, description: str | None = None) -> Response:
    text = description or MESSAGES.get(status, MESSAGES[400])()
    return respond(requested_format(), "errors", error_body(status, text), status)


@bp.before_request
def _limits_and_jurisdiction() -> Response | None:
    limit = current_app.config["OPEN311_MAX_BODY"]
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    wanted = current_app.config["OPEN311_JURISDICTION"]
    given = request.args.get("jurisdiction_id") or (
        request.form.get("jurisdiction_id") if request.mimetype in FORM_TYPES else None)
    if wanted and given and given != wanted:
        return error(404, _("Unknown jurisdiction_id."))
    return None



@bp.errorhandler(DomainError)
def _domain_error(failure: DomainError) -> Response:
    db.session.rollback()
    # The specification knows 400 for what a client sent wrong; the site's 422 is that.
    status = 400 if isinstance(failure, InvalidInput) else failure.http_status
    text = failure.message()
    if isinstance(failure, InvalidInput):
        text = f"{failure.field}: {text}"
    elif status == 404:
        text = _("No such service or service request.")
    return error(status, text)


@bp.errorhandler(HTTPException)
def _http_error(failure: HTTPException) -> Response:
    status = failure.code or 500
    if status >= 500:
        return error(500, _("The server could not finish this request."))
    return error(status)


@bp.route("/v2/<path:rest>", methods=["GET", "POST"])
def _unknown(rest: str) -> Response:
    """Any other path under /open311/v2/ answers in the specification's format too."""
    raise NotFound()
