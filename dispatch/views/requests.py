"""Every request: its id (``X-Request-ID`` taken when sane, else made), echoed in the
response, and one JSON log line when it ends (method, path, status, duration, request id).

Registered before the other hooks so the id exists for everything else the request logs,
and for the jobs it queues (``logs.job_meta``).
"""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request
from werkzeug.wrappers import Response

from dispatch import logs

log = logging.getLogger("dispatch.request")


def register(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.request_id = logs.accept_request_id(request.headers.get(logs.REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id") or logs.new_request_id()
        response.headers[logs.REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        log.info("%s %s %s", request.method, request.path, response.status_code, extra={
            "method": request.method, "path": request.path, "status": response.status_code,
            "duration_ms": duration_ms, "request_id": request_id,
            "remote_addr": request.remote_addr})
        return response
