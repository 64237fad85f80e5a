"""Concurrent /api/v1 steps over real HTTP: several tools send the same step for the same
version of a case at the same moment; the ledger's conditional UPDATE lets exactly one
through, every other gets 409 with the case as it is, and the ledger has one line."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from dispatch.extensions import db
from dispatch.models import CaseEvent
from dispatch.services.responders import tokens
from tests import factories

CLIENTS = 4


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


def test_one_of_several_simultaneous_steps_wins_and_the_others_get_409(
        app: Flask, world: factories.World, served: str) -> None:
    users = [world.coordinator, world.coordinator2, world.admin, world.coordinator]
    keys = [tokens.issue(user, "race")[1] for user in users]
    db.session.commit()
    case_id = world.case.id
    db.session.remove()
    start = threading.Barrier(CLIENTS)
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def send(token: str) -> None:
        with requests.Session() as session:
            session.trust_env = False
            start.wait(10)
            answer = session.post(f"{served}/api/v1/cases/{case_id}/actions/receive",
                                  json={"version": 1},
                                  headers={"Authorization": f"Bearer {token}"}, timeout=30)
            with lock:
                answers.append((answer.status_code, answer.json()))

    threads = [threading.Thread(target=send, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(status for status, _body in answers)
    assert statuses == [200] + [409] * (CLIENTS - 1), answers
    assert all(body["case"]["version"] == 2 for status, body in answers if status == 409)
    receives = db.session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == case_id, CaseEvent.action == "receive"))
    assert receives == 1
