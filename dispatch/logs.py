"""Structured logs: one JSON object a line, each carrying the request id it belongs to.

The id comes from the request (``X-Request-ID`` when a proxy or client sent a sane one, else
a new one, see ``views/requests.py``), goes with every job that request queues (in the job's
``meta``, see :func:`job_meta`), and is set again by ``worker.py`` around the job, so a
filing, the notification jobs it caused and their deliveries share one id in the logs.

    LOG_FORMAT=json (default) | text        LOG_LEVEL=INFO (default)
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from outside: short, and only characters that cannot forge a log line.
SANE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_job_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "dispatch_request_id", default=None)
# Attributes every LogRecord has; anything else given through ``extra=`` goes into the JSON.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
_MARK = "_dispatch_json_handler"


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(given: str | None) -> str:
    """The client's id when it is sane, else a fresh one."""
    return given if given and SANE_ID.match(given) else new_request_id()


def current_request_id() -> str | None:
    """The id of the request being served, or of the job being run, or None."""
    if has_request_context():
        rid = g.get("request_id")
        if rid:
            return str(rid)
    return _job_request_id.get()


def set_job_request_id(request_id: str | None) -> contextvars.Token[str | None]:
    """Worker side: the id of the request that queued the job now running."""
    return _job_request_id.set(request_id)


def reset_job_request_id(token: contextvars.Token[str | None]) -> None:
    _job_request_id.reset(token)


def job_meta() -> dict[str, Any]:
    """The ``meta`` every job is queued with: the request (or job) that queued it."""
    rid = current_request_id()
    return {"request_id": rid} if rid else {}


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...extra}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or current_request_id()
        if rid:
            entry["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class RequestIdFilter(logging.Filter):
    """For the text format: ``%(request_id)s`` in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


def configure(stream: Any = None) -> None:
    """One handler on the root logger (stderr), JSON unless LOG_FORMAT=text. Idempotent:
    several apps in one process (tests, benchmarks) add it once."""
    root = logging.getLogger()
    if any(getattr(handler, _MARK, False) for handler in root.handlers):
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _MARK, True)
    if os.environ.get("LOG_FORMAT", "json") == "text":
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
        handler.addFilter(RequestIdFilter())
    else:
        handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
