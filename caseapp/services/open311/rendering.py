"""GeoReport v2 bodies: XML (the spec's required format, built with lxml) and JSON, UTF-8."""
from __future__ import annotations

import json

from lxml import etree

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# the element each member of a list is wrapped in, in XML
LIST_ITEMS = {"services": "service", "service_requests": "request", "errors": "error",
              "endpoints": "endpoint", "formats": "format", "attributes": "attribute",
              "values": "value"}


def text_of(value) -> str | None:
    """A value as XML text: booleans as the spec writes them, nothing for None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def element(tag: str, value):
    """An element for a value: a dict's keys and a list's members become child elements."""
    node = etree.Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            node.append(element(key, child))
    elif isinstance(value, list):
        for child in value:
            node.append(element(LIST_ITEMS.get(tag, "item"), child))
    else:
        node.text = text_of(value)
    return node


def xml_bytes(root: str, value) -> bytes:
    """A whole document with the UTF-8 declaration the spec asks for."""
    return etree.tostring(element(root, value), xml_declaration=True, encoding="UTF-8",
                          pretty_print=True)


def json_bytes(value) -> bytes:
    """JSON in UTF-8 (Vietnamese stays readable, not escaped)."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def body(fmt: str, root: str, value) -> bytes:
    """The body of a response in the requested format; `root` names the XML root element (in
    JSON a list or an object stands alone, as the spec's examples show)."""
    return xml_bytes(root, value) if fmt == "xml" else json_bytes(value)


def errors_value(status: int, messages: list[str]) -> list[dict]:
    """The spec's error list: one {code, description} per problem."""
    return [{"code": status, "description": message} for message in messages]
