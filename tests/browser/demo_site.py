"""The demo site for the page-by-page browser checks (accessibility, readability): the
demo data served once per test module, the rows the pages are seen in, and one browser
context per (who, language), signed in and switched to that language once, then reused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select, text
from werkzeug.serving import make_server

from dispatch import create_app
from dispatch.extensions import db
from dispatch.models import (
    Case,
    CaseKind,
    CaseStatus,
    ReplyTemplate,
    ServicePoint,
    Studio,
    Team,
    User,
)
from dispatch.services.cases import claims, lifecycle
from dispatch.services.desk import exports
from dispatch.services.intake import imports
from dispatch.services.intake.filing import hash_feedback_key
from dispatch.services.permissions import Actor
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import PASSWORD, _config

SAMPLE = Path(__file__).parents[2] / "docs" / "samples" / "inspection-findings.csv"
FEEDBACK_KEY = "a11y-feedback-key"
LANGUAGES = ("zh", "en")

# Who looks: None is a resident (no account). Phone for everyone but the desk.
VIEWPORTS = {None: PHONE, "volunteer": PHONE, "captain": PHONE, "coordinator": DESKTOP,
             "coord.taishan": DESKTOP, "admin": DESKTOP}

# (who, path): {names} are filled from the demo rows found by demo_places() below.
PAGES: list[tuple[str | None, str]] = [
    (None, "/"),
    (None, "/report"),
    (None, "/report?kind=wish"),
    (None, "/report?kind=hazard&category={hazard_category}&lat=24.4798&lon=118.0894"),
    (None, "/report/details?kind=hazard&category={hazard_category}&lat=24.479800&lon=118.089400"),
    (None, "/report/details?kind=wish&category={wish_category}&lat=24.479800&lon=118.089400"),
    (None, "/c/{replied_code}?filed=1&k=" + FEEDBACK_KEY),
    (None, "/c/{replied_code}?k=" + FEEDBACK_KEY),
    (None, "/c/{handling_code}"),
    (None, "/c/{archived_code}"),
    (None, "/c/{wish_code}"),
    (None, "/my-reports"),
    (None, "/duty"),
    (None, "/wall"),
    (None, "/login"),
    (None, "/no-such-page"),
    (None, "/c/NOSUCHCODE"),
    (None, "/language"),  # GET on a POST-only address: 405
    ("volunteer", "/v/"),
    ("volunteer", "/v/me"),
    ("volunteer", "/inbox/"),
    ("volunteer", "/inbox/settings"),
    ("volunteer", "/c/{handling_code}"),
    ("volunteer", "/desk/board"),  # not for volunteers: 403
    ("captain", "/v/"),
    ("captain", "/v/team"),
    ("captain", "/v/me"),
    ("captain", "/inbox/"),
    ("coordinator", "/desk/board"),
    ("coordinator", "/desk/cases"),
    ("coordinator", "/desk/cases/{registered_id}"),
    ("coordinator", "/desk/cases/{handling_id}"),
    ("coordinator", "/desk/cases/{replied_id}"),
    ("coordinator", "/desk/cases/{archived_id}"),
    ("coordinator", "/desk/teams"),
    ("coordinator", "/desk/teams/{team_id}"),
    ("coordinator", "/desk/rota"),
    ("coordinator", "/desk/notifications"),
    ("coordinator", "/desk/reports/monthly"),
    ("coordinator", "/desk/exports"),
    ("coordinator", "/desk/exports/{export_id}"),
    ("coordinator", "/inbox/"),
    ("coord.taishan", "/desk/import"),
    ("coord.taishan", "/desk/import/{batch_id}"),
    ("coord.taishan", "/desk/cases/{inspection_id}"),
    ("admin", "/desk/api-clients"),
    # the studio's own pages (issue 14) and the standing arrangements (issue 15)
    (None, "/join"),
    ("coordinator", "/desk/intake"),
    ("coordinator", "/desk/reception"),
    ("coordinator", "/desk/people"),
    ("coordinator", "/desk/calendar"),
    ("coordinator", "/desk/posters"),
    ("coordinator", "/desk/shifts"),
    ("coordinator", "/desk/pairings"),
    ("coordinator", "/desk/worklog"),
    ("admin", "/desk/settings/categories"),
    ("admin", "/desk/settings/studios"),
    ("admin", "/desk/settings/studios/{studio_id}"),
    ("admin", "/desk/settings/studios/new"),
    ("coordinator", "/desk/settings/studios/{own_studio_id}"),
    ("admin", "/desk/settings/service-points"),
    ("admin", "/desk/settings/service-points/{point_id}"),
    ("coordinator", "/desk/settings/service-points/new"),
    ("admin", "/desk/settings/replies"),
    ("admin", "/desk/settings/replies/{reply_template_id}"),
    ("coordinator", "/desk/settings/replies/new"),
    ("volunteer", "/v/shifts"),
    ("volunteer", "/v/pairings"),
    ("volunteer", "/tokens/"),
    ("captain", "/v/team/applications"),
    # settings: claiming per category, teams and captains, users and roles
    ("admin", "/desk/settings/categories/{category_id}"),
    ("coordinator", "/desk/settings/teams"),
    ("coordinator", "/desk/settings/teams/new"),
    ("coordinator", "/desk/settings/teams/{team_id}"),
    ("admin", "/desk/settings/users"),
    ("coordinator", "/desk/settings/users"),
    ("admin", "/desk/settings/users/new"),
    ("admin", "/desk/settings/users/{volunteer_id}"),
]

# Forms sent empty, to check the page that shows their errors: (who, path, submit button).
FORM_ERRORS: list[tuple[str | None, str, str]] = [
    (None, "/report/details?kind=hazard&category={hazard_category}&lat=24.479800&lon=118.089400",
     "#report-details button[type=submit]"),
    (None, "/report?kind=hazard", "button[name=next]"),
    ("admin", "/desk/settings/studios/new", "#studio-form button[type=submit]"),
    ("coordinator", "/desk/settings/service-points/new", "#point-form button[type=submit]"),
    ("admin", "/desk/settings/replies/new", "#reply-form button[type=submit]"),
    ("coordinator", "/desk/settings/teams/new",
     "form[action$='/settings/teams/new'] button[type=submit]"),
    ("admin", "/desk/settings/users/new",
     "form[action$='/settings/users/new'] button[type=submit]"),
]



def _first(statement: Any) -> Any:
    found = db.session.scalar(statement.limit(1))
    assert found is not None, f"the demo data has no row for {statement}"
    return found


def give_the_volunteer_more_cards() -> None:
    """Besides the demo volunteer's accepted work: a micro-wish they claimed (its clock
    shows) and work sent back after the check (the reason shows), so /v/ has more states."""
    volunteer = _first(select(User).where(User.username == "volunteer"))
    admin = Actor.of(_first(select(User).where(User.username == "admin")))
    open_wish = _first(select(Case).where(Case.kind == CaseKind.WISH,
                                          Case.status == CaseStatus.RECEIVED,
                                          Case.assigned_volunteer_id.is_(None),
                                          Case.assigned_team_id.is_(None)).order_by(Case.id))
    claims.claim(open_wish, Actor.of(volunteer))
    sent_back = _first(select(Case).where(Case.status == CaseStatus.REGISTERED)
                       .order_by(Case.id.desc()))
    lifecycle.receive(sent_back, admin)
    lifecycle.assign(sent_back, admin, volunteer=volunteer)
    lifecycle.accept(sent_back, Actor.of(volunteer))
    lifecycle.arrive(sent_back, Actor.of(volunteer))
    lifecycle.finish(sent_back, Actor.of(volunteer), note="已清理")
    lifecycle.return_work(sent_back, admin, note="还有一袋垃圾没有运走")


def demo_places() -> dict[str, Any]:
    """Ids and codes of demo rows in the states the pages should be seen in."""
    def case(kind: CaseKind | None = None, *statuses: CaseStatus) -> Case:
        query = select(Case).where(Case.status.in_(statuses)).order_by(Case.id)
        if kind is not None:
            query = query.where(Case.kind == kind)
        return _first(query)

    replied = case(CaseKind.HAZARD, CaseStatus.REPLIED)
    replied.feedback_key_hash = hash_feedback_key(FEEDBACK_KEY)
    handling = case(CaseKind.HAZARD, CaseStatus.HANDLING)
    archived = case(None, CaseStatus.ARCHIVED)
    wish = case(CaseKind.WISH, *CaseStatus)
    coordinator = _first(select(User).where(User.username == "coordinator"))
    taishan = _first(select(User).where(User.username == "coord.taishan"))
    export = exports.request_export(coordinator, date(2026, 1, 1), date(2026, 1, 31), "csv")
    with SAMPLE.open("rb") as upload:
        batch, _ignored = imports.create_batch(upload, SAMPLE.name, taishan)
    give_the_volunteer_more_cards()
    places = {
        "hazard_category": handling.category.code,
        "wish_category": wish.category.code,
        "replied_code": replied.tracking_code, "replied_id": replied.id,
        "handling_code": handling.tracking_code, "handling_id": handling.id,
        "archived_code": archived.tracking_code, "archived_id": archived.id,
        "wish_code": wish.tracking_code,
        "registered_id": case(None, CaseStatus.REGISTERED).id,
        "inspection_id": case(CaseKind.INSPECTION, *CaseStatus).id,
        "team_id": _first(select(Team.id).order_by(Team.id)),
        "category_id": handling.category_id,
        "volunteer_id": _first(select(User.id).where(User.username == "volunteer")),
        "export_id": export.id, "batch_id": batch.id,
        "studio_id": _first(select(Studio.id).order_by(Studio.id)),
        "own_studio_id": coordinator.studio_id,
        "point_id": _first(select(ServicePoint.id).order_by(ServicePoint.id)),
        "reply_template_id": _first(select(ReplyTemplate.id).order_by(ReplyTemplate.id)),
    }
    db.session.commit()
    return places


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, redis_url: str,
         postgres_url: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
    """The demo site served once for the whole module."""
    folder = tmp_path_factory.mktemp("a11y")
    database_url = postgres_url or f"sqlite:///{folder / 'test.db'}"
    app = create_app(_config(database_url, redis_url, folder / "instance"))
    redis.Redis.from_url(redis_url).flushdb()
    with app.app_context():
        if postgres_url is None:
            db.create_all()
        app.test_cli_runner().invoke(args=["seed-demo"])
        places = demo_places()
        db.session.remove()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}", places
        server.shutdown()
        thread.join(10)
        db.session.remove()
        if postgres_url is not None:
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


class Visitors:
    """One signed-in (or anonymous) browser context per (who, language), made once."""

    def __init__(self, browser: Any, base: str) -> None:
        self.browser, self.base = browser, base
        self.contexts: dict[tuple[str | None, str], Any] = {}
        self.errors: list[str] = []

    def visit(self, who: str | None, language: str, url: str) -> Any:
        """The page of (who, language) at ``url``, loaded without a script error."""
        page = self.page(who, language)
        self.errors.clear()
        page.goto(url)  # waits for "load": the page's own scripts have run
        assert not self.errors, f"{url}: script errors {self.errors}"
        return page

    def page(self, who: str | None, language: str) -> Any:
        key = (who, language)
        if key not in self.contexts:
            context = self.browser.new_context(viewport=VIEWPORTS[who], locale="zh-CN")
            page = context.new_page()
            # A script that failed leaves part of a page unbuilt, and unchecked.
            page.on("pageerror", lambda error: self.errors.append(str(error)))
            if who:
                page.goto(f"{self.base}/login")
                page.fill("#username", who)
                page.fill("#password", PASSWORD)
                page.press("#password", "Enter")
                page.wait_for_load_state("networkidle")
                assert "/login" not in page.url, f"{who} could not sign in"
            if language == "en":
                page.goto(f"{self.base}/login")
                page.click("form.lang-switch button[value=en]")
                page.wait_for_load_state()
            self.contexts[key] = page
        return self.contexts[key]

    def close(self) -> None:
        for page in self.contexts.values():
            page.context.close()


@pytest.fixture(scope="module")
def visitors(browser: Any, site: tuple[str, dict[str, Any]]) -> Iterator[Visitors]:
    made = Visitors(browser, site[0])
    yield made
    made.close()
