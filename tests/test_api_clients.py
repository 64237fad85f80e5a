"""Open311 API keys on the desk (admins only) and on the command line: issued to a named
client and shown once, listed by their first characters, revoked."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import ApiClient
from dispatch.services.open_data import api_keys
from tests.conftest import WebClient
from tests.factories import World

KEY = re.compile(r"d311_[A-Za-z0-9_-]{40,}")


def test_an_admin_issues_a_key_that_is_shown_once_and_revokes_it(signed_in, world: World
                                                                  ) -> None:
    admin: WebClient = signed_in("admin")
    page = admin.get("/desk/api-clients")
    assert page.status_code == 200
    issued = admin.post("/desk/api-clients", {"name": "FixMyStreet 岳塘"})
    assert issued.status_code == 201
    assert issued.headers["Cache-Control"] == "no-store"
    (key,) = set(KEY.findall(issued.get_data(as_text=True)))
    client = db.session.scalar(select(ApiClient))
    assert client is not None and client.created_by_id == world.admin.id
    assert api_keys.authenticate(key) is not None
    listing = admin.get("/desk/api-clients").get_data(as_text=True)
    assert "FixMyStreet 岳塘" in listing and client.key_prefix in listing
    assert key not in listing  # never again
    revoked = admin.post(f"/desk/api-clients/{client.id}/revoke")
    assert revoked.status_code == 302
    db.session.expire_all()
    assert api_keys.authenticate(key) is None


def test_a_nameless_key_is_refused_with_the_form_kept(signed_in, world: World) -> None:
    admin: WebClient = signed_in("admin")
    response = admin.post("/desk/api-clients", {"name": "   "})
    assert response.status_code == 422
    assert db.session.scalar(select(ApiClient)) is None


def test_only_admins_see_the_keys(signed_in, world: World) -> None:
    coordinator: WebClient = signed_in("coordinator")
    assert coordinator.get("/desk/api-clients").status_code == 403
    assert coordinator.post("/desk/api-clients", {"name": "x"}).status_code == 403
    assert "/desk/api-clients" not in coordinator.get("/desk/cases").get_data(as_text=True)
    assert db.session.scalar(select(ApiClient)) is None


def test_the_command_line_issues_lists_and_revokes(app: Flask, world: World) -> None:
    runner = app.test_cli_runner()
    issued = runner.invoke(args=["api-key", "issue", "District portal"])
    assert issued.exit_code == 0, issued.output
    (key,) = KEY.findall(issued.output)
    listed = runner.invoke(args=["api-key", "list"])
    assert "District portal" in listed.output and key not in listed.output
    client_id = db.session.scalar(select(ApiClient.id))
    assert runner.invoke(args=["api-key", "revoke", str(client_id)]).exit_code == 0
    again = runner.invoke(args=["api-key", "revoke", str(client_id)])
    assert "already" in again.output
    assert runner.invoke(args=["api-key", "revoke", "999"]).exit_code != 0
    db.session.expire_all()
    assert api_keys.authenticate(key) is None
