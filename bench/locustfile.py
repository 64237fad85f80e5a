"""The locust mix for bench/load.py (run it through that script: it starts the stack).

Residents file a report (step 2's form with its CSRF token, a fresh submission token) and
read their case's page; coordinators sign in and look at the board, the case list and case
pages; volunteers sign in, look at their page, claim an open wish near them, check in on
site and finish it with a note. Page views are named
``page: …``, form posts ``post: …``. Every accepted filing's tracking code and every accepted
claim and finish is appended to the files named by LOAD_FILED / LOAD_CLAIMED /
LOAD_FINISHED for the check afterwards.
"""

from __future__ import annotations

import os
import random
import re
import secrets

from locust import HttpUser, between, task

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CASE_LINK = re.compile(r'href="/desk/cases/(\d+)"')
CLAIMABLE = re.compile(r'data-case="(\d+)"')
VERSION = re.compile(r'name="claim-version" type="hidden" value="(\d+)"')
SPOT = (27.8655, 112.9468)
PASSWORD = os.environ.get("LOAD_PASSWORD", "dispatch-demo")


def _append(variable: str, line: str) -> None:
    with open(os.environ[variable], "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _csrf(user: HttpUser, path: str, name: str) -> str | None:
    page = user.client.get(path, name=name)
    match = CSRF.search(page.text)
    return match.group(1) if match else None


def _sign_in(user: HttpUser, username: str) -> None:
    token = _csrf(user, "/login", "page: /login")
    user.client.post("/login", name="post: /login", allow_redirects=False,
                     data={"csrf_token": token, "username": username, "password": PASSWORD})


class Resident(HttpUser):
    weight = 4
    wait_time = between(1, 3)

    @task(2)
    def file_and_read(self) -> None:
        lat = SPOT[0] + random.uniform(-0.01, 0.01)
        lon = SPOT[1] + random.uniform(-0.01, 0.01)
        token = _csrf(self, f"/report/details?kind=hazard&category=facility_hazard"
                            f"&lat={lat:.6f}&lon={lon:.6f}", "page: /report/details")
        with self.client.post("/report/details", name="post: /report/details",
                              allow_redirects=False, catch_response=True,
                              files={"photos": ("", b"", "application/octet-stream")},
                              data={"kind": "hazard", "category": "facility_hazard",
                                    "lat": f"{lat:.6f}", "lon": f"{lon:.6f}",
                                    "csrf_token": token or "", "address": "天鹤村小区7栋旁",
                                    "submission_token": secrets.token_hex(16),
                                    "description": "车棚顶棚松动，风一吹就响"}) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or "filed=1" not in location:
                response.failure(f"filing: HTTP {response.status_code}")
                return
            code = location.split("/c/", 1)[1].split("?", 1)[0].split("#", 1)[0]
            _append("LOAD_FILED", code)
        self.client.get(f"/c/{code}", name="page: /c/<code>")

    @task(1)
    def home(self) -> None:
        self.client.get("/", name="page: /")


class Coordinator(HttpUser):
    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        _sign_in(self, "coordinator")

    @task(2)
    def board(self) -> None:
        self.client.get("/desk/board", name="page: /desk/board")
        self.client.get("/desk/board/cases.geojson", name="page: /desk/board/cases.geojson")

    @task(3)
    def cases(self) -> None:
        listing = self.client.get("/desk/cases", name="page: /desk/cases")
        ids = CASE_LINK.findall(listing.text)
        if ids:
            self.client.get(f"/desk/cases/{random.choice(ids[:20])}",
                            name="page: /desk/cases/<id>")


class Volunteer(HttpUser):
    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        _sign_in(self, random.choice(["volunteer", "captain"]))

    @task
    def claim_and_release(self) -> None:
        page = self.client.get("/v/", name="page: /v/")
        found = CLAIMABLE.findall(page.text)
        token = CSRF.search(page.text)
        if not found or token is None:
            return
        case_id = random.choice(found)
        versions = VERSION.findall(page.text.split(f'data-case="{case_id}"', 1)[1])
        if not versions:
            return
        with self.client.post(f"/v/cases/{case_id}/actions/claim", name="post: claim",
                              allow_redirects=False, catch_response=True,
                              data={"csrf_token": token.group(1),
                                    "claim-version": versions[0]}) as response:
            if response.status_code == 409:  # another volunteer was first: a fair answer
                response.success()
                return
            if response.status_code != 302:
                response.failure(f"claim: HTTP {response.status_code}")
                return
        _append("LOAD_CLAIMED", case_id)
        if self._step(case_id, "arrive", {}) and self._step(
                case_id, "finish", {"finish-note": "已完成，居民满意。"},
                files={"finish-photos": ("", b"", "application/octet-stream")}):
            _append("LOAD_FINISHED", case_id)

    def _step(self, case_id: str, action: str, fields: dict[str, str],
              files: dict | None = None) -> bool:
        """One of my work card's actions, with the version and token its page carries."""
        page = self.client.get("/v/", name="page: /v/").text
        card = page.split(f'data-case="{case_id}"', 1)[-1]
        version = re.search(rf'name="{action}-version" type="hidden" value="(\d+)"', card)
        token = CSRF.search(page)
        if version is None or token is None:
            return False
        with self.client.post(f"/v/cases/{case_id}/actions/{action}", name=f"post: {action}",
                              allow_redirects=False, catch_response=True, files=files,
                              data={"csrf_token": token.group(1),
                                    f"{action}-version": version.group(1), **fields}
                              ) as response:
            if response.status_code != 302:
                response.failure(f"{action}: HTTP {response.status_code}")
                return False
        return True
