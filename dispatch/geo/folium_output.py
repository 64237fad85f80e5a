"""Folium renders each map element to a string, wraps the string in a branca ``Element``,
and branca compiles that string as a *Jinja template* and renders it again when the page is
put together. That second pass is both slow and unsafe:

* slow: every marker, tooltip, popup and icon compiles its own output (about a hundred
  templates for the volunteer page's twenty wishes: ~10 ms of a ~20 ms page);
* unsafe: user text inside the output (a case title in a tooltip) is template source, so
  ``{{ 7*7 }}`` in a title showed 49, and Jinja outside a sandbox runs what it is given.

``render_output_once()`` makes branca keep such strings as they are: an ``Element`` made
from a string is that string, unless the string is one of the few real templates branca
itself passes at run time (:data:`TEMPLATES`, compiled once and kept). Classes' own
templates (``_template`` class attributes) are compiled at import, as before.
"""

from __future__ import annotations

import functools
from typing import Any

import branca.element
from jinja2 import Template

# Templates (not output) branca hands to ``Element(...)`` at run time: branca's ``Div``.
TEMPLATES = frozenset({
    "{% for name, element in this._children.items() %}"
    "{{element.render(**kwargs)}}"
    "{% endfor %}",
})


class Output:
    """Already rendered text, standing where branca expects a template; renders as Jinja
    would render text without any template syntax (newlines normalised, one trailing
    newline dropped), so the page is the same, less the second evaluation."""

    def __init__(self, text: str) -> None:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.text = text[:-1] if text.endswith("\n") else text

    def render(self, *args: Any, **kwargs: Any) -> str:
        return self.text


@functools.lru_cache(maxsize=64)
def _compiled(source: str) -> Template:
    return Template(source)


def element_template(source: str) -> Template | Output:
    return _compiled(source) if source in TEMPLATES else Output(source)


def render_output_once() -> None:
    """Rebind the name ``Element.__init__`` (and unpickling) looks templates up by."""
    branca.element.Template = element_template  # type: ignore[attr-defined,assignment]
