"""No input gives a 5xx: every route of the app, for each role, with generated path
segments, query arguments and form fields (NUL and other control characters, lone
surrogates, CR/LF, huge integers, "²", NaN and infinities, whitespace, very long text),
mixed with real values so that the views get past their first check.

Forms are posted with a real CSRF token (CSRF stays on). Urlencoded bodies are encoded by
hand (UTF-8 with ``surrogatepass``) so that a lone surrogate reaches the server as a
browser's broken bytes would; half the posts are multipart with a file (random bytes, a
small or truncated JPEG, a CSV with NaN, a bare ZIP header) under a photo or import field.
The examples are derandomised, so a run is repeatable; every 500 found has a plain example
in ``test_bad_input.py``.
"""

from __future__ import annotations

import io
import os
import re
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from werkzeug.routing import Rule
from wtforms.fields.core import UnboundField

from dispatch.extensions import db
from dispatch.models import CaseKind
from dispatch.models.vocabulary import TRANSITIONS
from dispatch.services.cases import claims, lifecycle
from dispatch.services.permissions import Actor
from dispatch.views import forms as shared_forms
from dispatch.views.desk import forms as desk_forms
from dispatch.views.field import forms as field_forms
from dispatch.views.public import forms as public_forms
from tests.conftest import CSRF_PATTERN, WebClient
from tests.factories import World, gen_case

# PROPERTY_EXAMPLES=2000 searches further, with fresh random examples (not derandomised).
EXAMPLES_PER_ROLE = int(os.environ.get("PROPERTY_EXAMPLES", "150"))
DERANDOMISE = "PROPERTY_EXAMPLES" not in os.environ
PLACEHOLDER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
SKIPPED = {"auth.logout"}  # would sign the client out for the examples after it
ARG_NAMES = ["page", "status", "kind", "category", "region", "studio", "overdue", "q",
             "month", "print", "lat", "lon", "crs", "address", "next", "code", "codes",
             "filed", "thanks", "supported", "lang", "format", "id"]
PREFIXES = ["escalate", "moderate", "photo", "claim", *TRANSITIONS]


def _field_names() -> list[str]:
    names: set[str] = {"csrf_token"}
    for module in (shared_forms, desk_forms, field_forms, public_forms):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, FlaskForm):
                names.update(name for name in dir(value)
                             if isinstance(getattr(value, name, None), UnboundField))
    return sorted(names)


FIELD_NAMES = _field_names()


def _jpeg(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


SAMPLE_FILES = [_jpeg((64, 48)), _jpeg((1, 1)), _jpeg((64, 48))[:200], b"\x89PNG\r\n\x1a\n",
                "kind,title,lat,lon\nhazard,井盖,nan,inf\n".encode(), b"PK\x03\x04" + b"\x00" * 40,
                "类别,描述\n\x00,x\n".encode("utf-16")]

JUNK = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(categories=["Cc", "Cs", "Zs", "Zl"]),
            max_size=8),
    st.sampled_from(["\x00", "a\x00b", "\r\n", "/\r\nSet-Cookie: x=1", "\ud800", "x\udfff",
                     " ", "\t", "\u3000", "²", "١٢", "½", "2147483648", "-2147483649",
                     "99999999999", "99999999999999999999", "9" * 400, "-1", "0", "1e999",
                     "nan", "NaN", "inf", "-inf", "Infinity", "1_000", "+5", "0x10",
                     "x" * 5000, "中" * 3000, "../../etc/passwd", "//evil.example",
                     "%00", "<script>alert(1)</script>", "team:", "user:²",
                     "user:99999999999", "team:2147483648", "9999-12-31", "0001-01-01",
                     "2026-13", "2026-05", "25:99"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _real_values(world: World) -> st.SearchStrategy[str]:
    return st.sampled_from([
        "1", "2", "3", "4", "5", "hazard", "wish", world.category.code, "yes", "no", "y",
        "zh", "en", "/desk/", "/v/", world.case.tracking_code, "27.8655", "112.9468",
        "wgs84", "display", "all", "new", "received", "handling", f"team:{world.team.id}",
        f"user:{world.volunteer.id}", "08:30", "2026-05-01", "xlsx", "csv", "原因说明",
        "title", "description", *TRANSITIONS])


def _rules(app: Flask) -> list[tuple[Rule, str]]:
    return sorted(((rule, method) for rule in app.url_map.iter_rules()
                   if rule.endpoint not in SKIPPED
                   for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})),
                  key=lambda pair: (pair[0].rule, pair[1]))


def _readable(text: str) -> str:
    """For multipart, which the test client encodes strictly: a surrogate becomes U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _quote(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def requests(draw: st.DrawFn, rules: list[tuple[Rule, str]], world: World
             ) -> tuple[str, str, bytes | dict[str, Any] | None]:
    """A method, a path with its query string, and (for a POST) a urlencoded body."""
    values = st.one_of(_real_values(world), JUNK)
    rule, method = draw(st.sampled_from(rules))
    segments: dict[str, str] = {}

    def segment(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2)
        if converter == "id":
            raw = draw(st.one_of(st.integers(1, 6).map(str), JUNK))
        elif name == "action":
            raw = draw(st.one_of(st.sampled_from(sorted(TRANSITIONS)), JUNK))
        elif name == "code":
            raw = draw(st.one_of(st.just(world.case.tracking_code), JUNK))
        else:
            raw = draw(values)
        segments[name] = raw
        return _quote(raw) or "x"

    path = PLACEHOLDER.sub(segment, rule.rule)
    args = draw(st.dictionaries(st.one_of(st.sampled_from(ARG_NAMES), JUNK), values,
                                max_size=4))
    query = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in args.items())
    url = f"{path}?{query}" if query else path
    if method != "POST":
        return method, url, None
    prefixes = [segments.get("action", ""), *draw(st.lists(st.sampled_from(PREFIXES),
                                                            max_size=2))]
    names = FIELD_NAMES + [f"{p}-{f}" for p in prefixes if p for f in FIELD_NAMES] + [
        f"share{segments.get('case_id', '1')}-member"]
    form = draw(st.dictionaries(st.sampled_from(names), values, max_size=6))
    if draw(st.booleans()):  # multipart, with a file (a photo, an import)
        upload = draw(st.one_of(st.binary(max_size=2000), st.sampled_from(SAMPLE_FILES)))
        field = draw(st.sampled_from(["photos", "finish-photos", "file"]))
        filename = draw(st.one_of(st.sampled_from(["a.jpg", "b.png", "c.csv", "d.xlsx"]),
                                  JUNK.map(_readable)))
        parts: dict[str, Any] = {_readable(k): _readable(v) for k, v in form.items()}
        parts[field] = (upload, filename)
        return method, url, parts
    body = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in form.items())
    return method, url, body.encode("ascii")


@pytest.fixture
def work_in_hand(world: World) -> World:
    """Cards on the volunteer pages: a hazard with the team, a wish the volunteer holds."""
    lifecycle.receive(world.case, world.desk())
    lifecycle.assign(world.case, world.desk(), team=world.team)
    wish = gen_case(world.category, world.studio, kind=CaseKind.WISH, title="帮老人换灯泡")
    lifecycle.receive(wish, world.desk())
    claims.claim(wish, Actor.of(world.volunteer))
    gen_case(world.category, world.studio, kind=CaseKind.WISH, title="陪老人去医院")
    db.session.commit()
    return world


@pytest.mark.parametrize("role", ["anonymous", "volunteer", "captain", "coordinator"])
def test_no_route_answers_a_generated_request_with_a_server_error(
        app: Flask, signed_in, work_in_hand: World, role: str) -> None:
    client = WebClient(app) if role == "anonymous" else signed_in(role)
    match = CSRF_PATTERN.search(client.get("/").get_data(as_text=True))
    assert match
    token = match.group(1).encode()

    @settings(max_examples=EXAMPLES_PER_ROLE, deadline=None, derandomize=DERANDOMISE,
              database=None, suppress_health_check=[
                  HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                  HealthCheck.data_too_large])
    @given(request=requests(_rules(app), work_in_hand))
    def no_server_error(request: tuple[str, str, bytes | dict[str, Any] | None]) -> None:
        method, url, body = request
        options: dict[str, Any] = {}
        if isinstance(body, dict):
            options = {"data": {"csrf_token": token.decode(), **{
                key: (io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value
                for key, value in body.items()}}, "content_type": "multipart/form-data"}
        elif body is not None:
            options = {"data": b"csrf_token=" + token + (b"&" + body if body else b""),
                       "content_type": "application/x-www-form-urlencoded"}
        with app.app_context():
            response = client.client.open(url, method=method, **options)
            status = response.status_code
            response.close()
        # The readiness probe answers 503 by design here: the test schema is made by
        # create_all, not by the migrations, so it is "not migrated".
        probe = url.split("?")[0] == "/readyz" and status == 503
        assert status < 500 or probe, (method, url, body)

    no_server_error()
