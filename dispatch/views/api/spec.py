"""The one spectree instance of /api/v1: routes decorated with ``spec.validate`` have
their query, body and responses checked against ``schemas`` and appear in the OpenAPI 3.1
document, which is generated from them (``/api/v1/openapi.json``).

spectree rather than APIFlask or flask-smorest: it decorates plain Flask views on a plain
blueprint (no replacement app class), validates responses as well as requests, and takes
pydantic v2 models, whose JSON Schema is the dialect OpenAPI 3.1 is built on."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from spectree import SecurityScheme, SecuritySchemeData, SpecTree

from dispatch.views.api.schemas import ErrorBody

VALIDATION_STATUS = 422


def _json_errors(_request: Any, response: Any, error: Exception | None, _instance: Any,
                 _adapter: Any) -> None:
    """A request that breaks the schema: our error body, without echoing the input (a NaN
    or a NUL would not travel back as JSON)."""
    if error is None or response is None:
        return
    details = [{key: value for key, value in item.items() if key in ("loc", "msg", "type")}
               for item in json.loads(response.get_data() or b"[]")]
    response.set_data(json.dumps({
        "status": VALIDATION_STATUS, "errors": details,
        "message": _("Please check your input: %(fields)s.", fields=", ".join(
            ".".join(str(part) for part in item.get("loc", ())) for item in details)),
    }, ensure_ascii=False))
    response.mimetype = "application/json"


spec = SpecTree(
    "flask",
    mode="strict",
    title="Dispatch API",
    version="1",
    description=(
        "The JSON API of Dispatch for staff tools: cases, their legal next steps, claims, "
        "suggested responders, teams, service points and a case's ledger. Authenticate "
        "with a personal token (`Authorization: Bearer dsp_…`, made at /tokens) or the "
        "web session (state-changing requests then need the `X-CSRFToken` header)."),
    page_templates={},
    security_schemes=[
        SecurityScheme(name="token", data=SecuritySchemeData(
            type="http", scheme="bearer", description="A personal API token (/tokens)")),
        SecurityScheme(name="session", data=SecuritySchemeData(
            type="apiKey", name="session", field_in="cookie",
            description="The web session of a signed-in user")),
    ],
    security=[{"token": []}, {"session": []}],
    validation_error_status=VALIDATION_STATUS,
    validation_error_model=ErrorBody,
    before=_json_errors,
    # Schema names as the models are called (the default adds a hash to each).
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)
