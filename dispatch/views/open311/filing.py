"""Open311 GeoReport v2, write side: POST requests.{json,xml} with an api_key.

The fields come form-encoded, as the specification says (multipart is read the same way;
its files are ignored). A flat XML body is read too, through defusedxml; any other body
type is a 415. The body limit (``OPEN311_MAX_BODY``) is checked before it is read.
"""

from __future__ import annotations

import math

from flask import Response, current_app, request
from flask_babel import gettext as _
from limits import parse_many
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import UnsupportedMediaType

from dispatch.extensions import db, limiter
from dispatch.models import ApiClient
from dispatch.services.errors import InvalidInput
from dispatch.services.open_data import api_keys
from dispatch.services.open_data.filing311 import ServiceRequest, file_request
from dispatch.views.open311.blueprint import FORM_TYPES, bp, error
from dispatch.views.open311.formats import BadXml, read_xml_fields, respond
from dispatch.views.open311.routes import FMT
from dispatch.views.params import ANY_CONTROL, CONTROL_CHARACTERS

XML_TYPES = ("text/xml", "application/xml")
SHORT_FIELDS = ("service_code", "address_string", "first_name", "last_name", "phone",
                "email", "device_id", "account_id", "media_url")


def _fields() -> MultiDict[str, str]:
    if request.mimetype in FORM_TYPES:
        return request.form
    if request.mimetype in XML_TYPES:
        try:
            return MultiDict(read_xml_fields(request.get_data(cache=True)))
        except BadXml:
            raise InvalidInput("body", _("The XML body could not be read (a DTD or "
                                         "entities are refused).")) from None
    raise UnsupportedMediaType()


def _coordinate(fields: MultiDict[str, str], name: str, bound: float) -> float | None:
    raw = (fields.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > bound:
        raise InvalidInput(name, _("Not a coordinate."))
    return value


def _parse(fields: MultiDict[str, str]) -> ServiceRequest:
    for name in SHORT_FIELDS:
        if ANY_CONTROL.search(fields.get(name) or "") or len(fields.get(name) or "") > 255:
            raise InvalidInput(name, _("At most %(n)d characters, no control characters.",
                                       n=255))
    description = fields.get("description") or ""
    if CONTROL_CHARACTERS.search(description):
        raise InvalidInput("description", _("Control characters are not allowed."))
    attributes = {key[len("attribute["):-1]: (value or "")[:255]
                  for key, value in fields.items()
                  if key.startswith("attribute[") and key.endswith("]")}
    service_code = (fields.get("service_code") or "").strip()
    if not service_code:
        raise InvalidInput("service_code", _("service_code is required."))
    return ServiceRequest(
        service_code=service_code, description=description,
        latitude=_coordinate(fields, "lat", 90), longitude=_coordinate(fields, "long", 180),
        address_string=fields.get("address_string") or "",
        first_name=fields.get("first_name") or "", last_name=fields.get("last_name") or "",
        phone=(fields.get("phone") or "").strip() or None, attributes=attributes)


def _within_key_limits(client: ApiClient) -> bool:
    """OPEN311_KEY_LIMITS per client; a Redis outage lets filing go on (as for /report)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    try:
        return all(limiter.limiter.hit(item, "open311-key", str(client.id))
                   for item in parse_many(current_app.config["OPEN311_KEY_LIMITS"]))
    except Exception:  # the limiter's storage is down: do not refuse residents for it
        current_app.logger.warning("Open311 key limit not checked", exc_info=True)
        return True


@bp.post(f"/v2/requests.{FMT}")
def create_request(fmt: str) -> Response:
    fields = _fields()
    client = api_keys.authenticate(fields.get("api_key") or request.args.get("api_key"))
    if client is None:
        return error(403)
    if not _within_key_limits(client):
        return error(429)
    filed = file_request(client, _parse(fields))
    api_keys.mark_used(client)
    db.session.commit()
    return respond(fmt, "service_requests", [{
        "service_request_id": filed.case.tracking_code, "token": filed.token,
        "service_notice": filed.case.status.label, "account_id": None}])
