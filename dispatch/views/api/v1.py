"""/api/v1: who is calling (a personal token or the web session), what a request may send
(JSON only, at most API_MAX_BODY bytes), errors as JSON, and the OpenAPI document with its
interactive page.

A token is not sent by browsers on their own, so token requests need no CSRF token; a
session request that changes something must carry the session's CSRF token in the
``X-CSRFToken`` header (the blueprint is exempt from the global form check and checks it
here instead, once it knows how the caller signed in)."""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user
from werkzeug.wrappers import Response

from dispatch.config import LANGUAGES
from dispatch.extensions import csrf, db
from dispatch.models import User
from dispatch.services.responders import tokens
from dispatch.views.api.spec import spec

bp = Blueprint("v1", __name__, url_prefix="/v1")
csrf.exempt(bp)

API_MAX_BODY = 1024 * 1024  # a case with its texts is a few kB; photos do not come this way
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_ENDPOINTS = frozenset({"api.v1.openapi", "api.v1.docs"})


def caller() -> User:
    """The staff member this request acts for (set by ``_authenticate``)."""
    return g.api_user


def error(status: int, message: str, errors: list[dict[str, object]] | None = None,
          **headers: str) -> Response:
    """The JSON body of every refusal (``schemas.ErrorBody``)."""
    body: dict[str, object] = {"status": status, "message": message}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    return response


@bp.before_request
def _authenticate() -> Response | None:
    request.max_content_length = API_MAX_BODY
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _sep, token = header.partition(" ")
        user = tokens.user_for(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            db.session.rollback()
            return error(401, _("This API token is not valid (revoked, mistyped, or its "
                                "account was deactivated)."), **{"WWW-Authenticate": "Bearer"})
        db.session.commit()  # its "last used" time, if it was stamped
        g.api_user = user
        _speak_to(user)
    elif current_user.is_authenticated:
        g.api_user = current_user._get_current_object()
        if request.method not in SAFE_METHODS:
            csrf.protect()
    else:
        return error(401, _("Sign in, or send a personal API token as "
                            "“Authorization: Bearer …”."), **{"WWW-Authenticate": "Bearer"})
    return _check_body()


def _speak_to(user: User) -> None:
    """A token caller's messages: in the language its request accepts, else the one its
    account chose for notifications, else the default."""
    g.api_locale = request.accept_languages.best_match(LANGUAGES) or user.language or None
    refresh()  # in case something asked for the locale before it was known


def _check_body() -> Response | None:
    if request.method in SAFE_METHODS:
        return None
    if (request.content_length or 0) > API_MAX_BODY:
        abort(413)
    if request.mimetype != "application/json":
        return error(415, _("Send the request body as JSON (Content-Type: "
                            "application/json)."))
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: not a body we take
        body = None
    if not isinstance(body, dict):
        return error(400, _("The request body is not a JSON object."))
    return None


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(spec.spec)


@bp.get("/docs")
def docs() -> str | Response:
    """The interactive page (Swagger UI, served from static/vendor), for signed-in staff."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    return render_template("api/docs.html")
