"""Open311 GeoReport v2, read side: discovery, services, service definitions, requests,
one request, a token, and mySociety's service request updates. No key needed: all of it
is what the public pages show."""

from __future__ import annotations

from flask import Response, current_app, url_for

from dispatch.services.open_data import georeport, updates
from dispatch.services.open_data.filing311 import case_by_token
from dispatch.views.open311.blueprint import bp
from dispatch.views.open311.formats import respond
from dispatch.views.open311.params import date_window, extensions_wanted, paging, request_query

FMT = "<any(json,xml):fmt>"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-01T00:00:00+00:00"


def links() -> georeport.Links:
    return georeport.Links(
        photo=lambda key: url_for("public.photo", key=key, _external=True),
        case_page=lambda code: url_for("public.case_status", code=code, _external=True))


@bp.get(f"/discovery.{FMT}")
def discovery(fmt: str) -> Response:
    endpoint = {"specification": SPECIFICATION,
                "url": url_for(".discovery", fmt="json", _external=True)
                .rsplit("/", 1)[0] + "/v2",
                "changeset": CHANGESET, "type": "production",
                "formats": ["text/xml", "application/json"]}
    return respond(fmt, "discovery", {
        "changeset": CHANGESET, "contact": current_app.config["OPEN311_CONTACT"],
        "key_service": current_app.config["OPEN311_KEY_SERVICE"],
        "endpoints": [endpoint]})


@bp.get(f"/v2/services.{FMT}")
def services(fmt: str) -> Response:
    return respond(fmt, "services",
                   [georeport.service_record(c) for c in georeport.active_categories()])


@bp.get(f"/v2/services/<code>.{FMT}")
def service_definition(code: str, fmt: str) -> Response:
    category = georeport.category_by_code(code)
    return respond(fmt, "service_definition", georeport.service_definition(category))


@bp.get(f"/v2/requests.{FMT}")
def requests_list(fmt: str) -> Response:
    query, extended = request_query(), extensions_wanted()
    page = georeport.find_requests(query, with_events=extended)
    return respond(fmt, "service_requests",
                   georeport.request_records(page, links(), extended))


@bp.get(f"/v2/requests/<request_id>.{FMT}")
def request_detail(request_id: str, fmt: str) -> Response:
    extended = extensions_wanted()
    page = georeport.request_by_id(request_id, with_events=extended)
    return respond(fmt, "service_requests",
                   georeport.request_records(page, links(), extended))


@bp.get(f"/v2/tokens/<token>.{FMT}")
def token(token: str, fmt: str) -> Response:
    case = case_by_token(token)
    return respond(fmt, "service_requests",
                   [{"service_request_id": case.tracking_code, "token": token}])


@bp.get(f"/v2/servicerequestupdates.{FMT}")
def request_updates(fmt: str) -> Response:
    start, end = date_window()
    page, size = paging()
    return respond(fmt, "service_request_updates",
                   [updates.update_record(e)
                    for e in updates.find_updates(start, end, page, size)])
