"""Browser fixtures: the app served by a real HTTP server in a thread, and Debian's
chromium driven by Playwright. Without /usr/bin/chromium these tests are reported as not
run, with the command that installs it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from dispatch.extensions import db

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


# A page left before it finished loading makes the development server drop a connection
# while sending a static file, which Python reports as an unclosed file when the file object
# is collected. That is the test server's housekeeping, not the app's: ignore exactly that.
STATIC_FILE_DROPPED = ("ignore:Exception ignored in. <_io.FileIO name='[^']*/static/"
                       ":pytest.PytestUnraisableExceptionWarning")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.filterwarnings(STATIC_FILE_DROPPED))


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    app.test_cli_runner().invoke(args=["seed-demo"])
    db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("browser tests did not run: /usr/bin/chromium is missing "
                    "(apt-get install -y chromium fonts-wqy-microhei)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update"])
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: docs/screenshots with SCREENSHOT_DIR set (make screenshots)."""
    directory = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory
