"""``make run``: the web server and one RQ worker together, on the embedded defaults.

Starts the embedded Redis when REDIS_URL is unset, then the worker, RQ's cron scheduler
(dispatch/jobs/schedule.py) and the web server as
child processes; prints the URL and the demo logins; Ctrl-C stops all of them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from dispatch.config import DEFAULT_INSTANCE, PROJECT_ROOT
from dispatch.dev import embedded_redis

HOST, PORT = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "5000")
DEMO_LOGINS = [
    ("coordinator", "工作室协调员 Coordinator (书院路 Shuyuanlu)"),
    ("captain", "队长 Captain"),
    ("volunteer", "志愿者 Volunteer"),
    ("admin", "管理员 Administrator"),
]


def _wait_for_port(host: str, port: int, process: subprocess.Popen[bytes],
                   timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)


def main() -> int:
    env = dict(os.environ)
    started_redis = False
    if not env.get("REDIS_URL"):
        url, _ = embedded_redis.start(DEFAULT_INSTANCE / "redis", daemonize=True)
        env["REDIS_URL"] = url
        started_redis = True
    python = sys.executable
    worker = subprocess.Popen([python, str(PROJECT_ROOT / "worker.py")], env=env)
    scheduler = subprocess.Popen([str(Path(python).parent / "rq"), "cron", "dispatch.jobs.schedule",
                                  "--url", env["REDIS_URL"],
                                  "--path", str(PROJECT_ROOT)], env=env)
    web = subprocess.Popen([python, "-m", "flask", "--app", "dispatch", "run", "--host", HOST,
                            "--port", PORT, "--no-reload"], env=env)
    password = env.get("DEMO_PASSWORD", "dispatch-demo")
    _wait_for_port(HOST, int(PORT), web)
    print(f"\n  Dispatch is running: http://{HOST}:{PORT}/\n")
    print(f"  Demo logins (password for all: {password}):")
    for username, who in DEMO_LOGINS:
        print(f"    {username:<12} {who}")
    print("\n  Press Ctrl-C to stop the web server, the worker and the embedded Redis.\n",
          flush=True)
    try:
        while web.poll() is None and worker.poll() is None and scheduler.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        if web.poll() is None:
            web.terminate()
        for process in (worker, scheduler):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # RQ's warm shutdown
        for process in (web, worker, scheduler):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if started_redis:
            embedded_redis.stop(Path(DEFAULT_INSTANCE) / "redis")
    return 0


if __name__ == "__main__":
    sys.exit(main())
