"""The field names of Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2) and of
mySociety's service request updates, as the specifications list them, and helpers that
read a response in JSON or XML into the same plain shape."""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import fromstring

SERVICE = {"service_code", "service_name", "description", "metadata", "type", "keywords",
           "group"}
DEFINITION = {"service_code", "attributes"}
ATTRIBUTE = {"variable", "code", "datatype", "required", "datatype_description", "order",
             "description", "values"}
ATTRIBUTE_VALUE = {"key", "name"}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
REQUEST = {"service_request_id", "status", "status_notes", "service_name", "service_code",
           "description", "agency_responsible", "service_notice", "requested_datetime",
           "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
           "long", "media_url"}
EXTENSIONS = {"extended_attributes"}  # with extensions=true
POST_RESPONSE = {"service_request_id", "token", "service_notice", "account_id"}
TOKEN_RESPONSE = {"service_request_id", "token"}
UPDATE = {"update_id", "service_request_id", "status", "updated_datetime", "description",
          "media_url"}
ERROR = {"code", "description"}
DISCOVERY = {"changeset", "contact", "key_service", "endpoints"}
ENDPOINT = {"specification", "url", "changeset", "type", "formats"}
# Lists inside an XML document, and the name of their items.
XML_LISTS = {"services": "service", "service_requests": "request", "attributes": "attribute",
             "values": "value", "steps": "step", "endpoints": "endpoint",
             "formats": "format", "errors": "error", "service_request_updates":
             "request_update"}


def _plain(element: Element) -> Any:
    if element.tag in XML_LISTS:
        return [_plain(child) for child in element]
    if len(element):
        return {child.tag: _plain(child) for child in element}
    return element.text


def read(response: Any, fmt: str) -> Any:
    """The body as lists and dicts of strings (XML) or JSON values."""
    if fmt == "json":
        assert response.mimetype == "application/json"
        return json.loads(response.get_data(as_text=True))
    assert response.mimetype == "text/xml"
    body = response.get_data()
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return _plain(fromstring(body))


def xml_root(response: Any) -> str:
    return fromstring(response.get_data()).tag
