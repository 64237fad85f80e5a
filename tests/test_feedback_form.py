"""The resident's feedback form: each choice made by the resident, nothing typed lost."""

from __future__ import annotations

import re

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models import Case, CaseStatus
from tests.conftest import WebClient
from tests.factories import World
from tests.test_privacy import file_by_form, replied


def feedback_page(web: WebClient, world: World) -> tuple[Case, str, str]:
    case, key = file_by_form(web, world)
    replied(case, world)
    return case, key, web.get(f"/c/{case.tracking_code}?k={key}").get_data(as_text=True)


def test_no_star_or_answer_is_chosen_for_the_resident(web: WebClient, world: World) -> None:
    _case, _key, page = feedback_page(web, world)
    form = page[page.index('class="feedback-form"'):page.index("</form>",
                                                              page.index("feedback-form"))]
    assert "checked" not in form
    # "Is it really fixed?" is a yes/no question, not a lone box.
    assert len(re.findall(r'name="fixed" type="radio"', form)) == 2
    assert 'type="checkbox"' not in form


def test_feedback_without_a_verdict_is_shown_again_with_what_was_typed(
        web: WebClient, world: World) -> None:
    case, key, _page = feedback_page(web, world)
    response = web.post(f"/c/{case.tracking_code}/feedback", {
        "version": str(case.version), "key": key, "rating": "2", "fixed": "no",
        "comment": "楼道灯还是不亮，晚上看不见台阶"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "楼道灯还是不亮，晚上看不见台阶" in page
    assert 'class="field-error"' in page and "feedback-form" in page
    assert re.search(r'checked[^>]*name="rating"[^>]*value="2"|name="rating"[^>]*value="2"'
                     r'[^>]*checked|value="2"[^>]*checked', page)
    db.session.expire_all()
    assert db.session.scalar(select(Case.status).where(Case.id == case.id)) \
        == CaseStatus.REPLIED


def test_is_it_fixed_is_kept_as_yes_no_or_not_said(web: WebClient, world: World) -> None:
    case, key, _page = feedback_page(web, world)
    response = web.post(f"/c/{case.tracking_code}/feedback", {
        "version": str(case.version), "key": key, "satisfied": "no", "rating": "2",
        "fixed": "no", "comment": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).feedback_fixed is False
