"""Team group-chat robots (WeCom, DingTalk, Feishu) and the SMS gateway, over HTTP.

Every request carries the notification's key in an ``Idempotency-Key`` header (and in the
SMS URL) so that a receiver can drop a repeat.
"""

from __future__ import annotations

import os
import threading
from typing import Any
from urllib.parse import quote

import requests
from flask import current_app

from dispatch.extensions import db
from dispatch.models import Notification, Team

TIMEOUT_S = 5
_local = threading.local()


def session() -> requests.Session:
    """One HTTP session per process and thread, so that deliveries to the same robot or
    gateway reuse its kept-alive connection (over HTTPS: no new TLS handshake per message).
    A forked process gets its own: a socket is never shared across a fork."""
    if getattr(_local, "pid", None) != os.getpid():
        _local.pid, _local.session = os.getpid(), requests.Session()
    return _local.session  # type: ignore[no-any-return]


def webhook_payload(kind: str, text: str) -> dict[str, Any]:
    if kind == "feishu":
        return {"msg_type": "text", "content": {"text": text}}
    return {"msgtype": "text", "text": {"content": text}}  # WeCom and DingTalk alike


def send_webhook(row: Notification) -> None:
    team = db.session.get(Team, row.team_id)
    if team is None or not team.webhook_url:
        raise RuntimeError("the team has no webhook any more")
    post_webhook(team.webhook_url, team.webhook_kind or "wecom", row.text, row.key)


def post_webhook(url: str, kind: str, text: str, key: str) -> None:
    """POST one message to a team's robot, its key in the ``Idempotency-Key`` header."""
    response = session().post(url, json=webhook_payload(kind, text),
                              headers={"Idempotency-Key": key}, timeout=TIMEOUT_S)
    response.raise_for_status()


def send_sms(row: Notification) -> None:
    template = current_app.config.get("SMS_GATEWAY_URL") or ""
    if not template:
        raise RuntimeError("no SMS gateway is configured (SMS_GATEWAY_URL)")
    url = template.format(phone=quote(row.phone or ""), text=quote(row.text),
                          key=quote(row.key))
    response = session().get(url, headers={"Idempotency-Key": row.key}, timeout=TIMEOUT_S)
    response.raise_for_status()
