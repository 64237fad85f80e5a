"""Writing Open311 records as JSON or XML, and reading an XML body safely.

A record is a dict keyed by the specification's field names; a list inside one becomes,
in XML, a container of items named as the specification names them (``attributes`` holds
``attribute`` elements). XML is built with ElementTree, so every text is escaped, and the
characters XML 1.0 cannot hold are dropped. An XML body is parsed with defusedxml, which
refuses any DTD: no entities, so no XXE and no billion laughs.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_fromstring
from flask import Response

from dispatch.services.text import xml_safe

ITEM_NAMES = {
    "services": "service", "service_requests": "request", "attributes": "attribute",
    "values": "value", "steps": "step", "endpoints": "endpoint", "formats": "format",
    "errors": "error", "service_request_updates": "request_update",
}
MIMETYPES = {"json": "application/json", "xml": "text/xml"}


class BadXml(ValueError):
    """The body is not XML this API reads (malformed, or with a DTD or entities)."""


def _fill(element: Element, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, dict):
        for key, item in value.items():
            _fill(SubElement(element, key), item)
    elif isinstance(value, list):
        item_name = ITEM_NAMES[element.tag]
        for item in value:
            _fill(SubElement(element, item_name), item)
    else:
        element.text = xml_safe(str(value))


def to_xml(root_name: str, value: Any) -> str:
    root = Element(root_name)
    _fill(root, value)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + tostring(root, encoding="unicode")


def respond(fmt: str, root_name: str, value: Any, status: int = 200) -> Response:
    """``value`` as ``fmt``: in JSON as it is, in XML under ``root_name``."""
    if fmt == "json":
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        body = to_xml(root_name, value)
    return Response(body, status=status, mimetype=MIMETYPES[fmt])


def error_body(status: int, description: str) -> list[dict[str, Any]]:
    return [{"code": status, "description": description}]


def read_xml_fields(body: bytes) -> dict[str, str]:
    """A flat XML body (``<service_request><service_code>…``) as form fields; an
    ``attribute`` element's children become ``attribute[code]``."""
    try:
        root = safe_fromstring(body, forbid_dtd=True)
    except (DefusedXmlException, ParseError, ValueError) as error:
        raise BadXml(str(error)) from error
    fields: dict[str, str] = {}
    for child in root:
        if child.tag == "attribute":
            for attribute in child:
                fields[f"attribute[{attribute.tag}]"] = (attribute.text or "").strip()
        else:
            fields[str(child.tag)] = (child.text or "").strip()
    return fields
