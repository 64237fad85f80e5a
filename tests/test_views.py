"""The pages over real HTTP forms: sign-in, roles, CSRF, the case page's legal actions,
and the errors a user sees when something is wrong."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import Case, CaseEvent, CaseStatus
from dispatch.services.cases import lifecycle
from tests.conftest import WebClient
from tests.factories import World, shows_phone_tail, walk


def offered_actions(html: str) -> set[str]:
    return set(re.findall(r'class="card card-body mb-2 action-form" data-action="(\w+)"', html))


def state(case_id: int) -> tuple[object, ...]:
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case is not None
    events = db.session.scalar(select(func.count()).where(CaseEvent.case_id == case_id))
    return case.status, case.assignment_status, case.version, events


def action_url(case: Case, action: str) -> str:
    return f"/desk/cases/{case.id}/actions/{action}"


def test_home_page_speaks_chinese_first_and_lists_studios(web: WebClient, world: World) -> None:
    page = web.get("/").get_data(as_text=True)
    assert "反映身边的问题" in page and world.studio.name_zh in page
    assert 'lang="zh-CN"' in page


def test_the_language_switch_is_a_post_and_sticks(web: WebClient, world: World) -> None:
    response = web.post("/language", {"lang": "en", "next": "/"})
    assert response.status_code == 302
    page = web.get("/").get_data(as_text=True)
    assert "Report a problem in your neighbourhood" in page and world.studio.name_en in page
    assert web.post("/language", {"lang": "en", "next": "https://evil.example/"}
                    ).headers["Location"] == "/"


def test_wrong_password_shows_the_form_again_with_an_error(web: WebClient,
                                                           world: World) -> None:
    response = web.login(world.coordinator.username, "not the password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_repeated_login_failures_are_slowed_down(web: WebClient, world: World) -> None:
    codes = [web.login(world.coordinator.username, "wrong").status_code for _ in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    assert "尝试次数过多" in web.login(world.coordinator.username).get_data(as_text=True)


def test_a_successful_login_is_not_counted_as_a_failure(web: WebClient, world: World) -> None:
    for _ in range(4):
        web.login(world.coordinator.username, "wrong")
    assert web.login(world.coordinator.username).status_code == 302


def test_login_redirects_only_within_the_site(web: WebClient, world: World) -> None:
    response = web.post("/login", {
        "username": world.coordinator.username, "password": "correct horse battery",
        "next": "//evil.example/x"})
    assert response.headers["Location"] == "/desk/board"  # the desk starts at the dispatch board


def test_the_desk_needs_a_signed_in_coordinator(web: WebClient, signed_in, world: World) -> None:
    assert web.get("/desk/cases").status_code == 302  # to the login page
    assert signed_in("member").get("/desk/cases").status_code == 403
    assert signed_in("captain").get(f"/desk/cases/{world.case.id}").status_code == 403
    assert signed_in("admin").get("/desk/cases").status_code == 200
    assert signed_in("coordinator").get("/desk/").headers["Location"] == "/desk/board"


def test_case_list_filters_by_status(signed_in, world: World) -> None:
    other = lifecycle.register(kind=world.case.kind, title="人行横道缺失",
                               description="荣通二号路口没有人行横道", latitude=27.86,
                               longitude=112.95, category=world.category)
    lifecycle.receive(other, world.desk())
    db.session.commit()
    desk = signed_in("coordinator")
    received = desk.get("/desk/cases?status=received").get_data(as_text=True)
    assert "人行横道缺失" in received and world.case.title not in received
    everything = desk.get("/desk/cases").get_data(as_text=True)
    assert "人行横道缺失" in everything and world.case.title in everything
    assert desk.get("/desk/cases?status=nonsense").status_code == 200


def test_case_page_offers_exactly_the_legal_next_actions(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    assert offered_actions(desk.get(f"/desk/cases/{world.case.id}").get_data(as_text=True)) \
        == {"receive"}
    walk(world.case, world, "receive")
    db.session.commit()
    assert offered_actions(desk.get(f"/desk/cases/{world.case.id}").get_data(as_text=True)) \
        == {"assign", "mark_duplicate", "mark_not_ours", "answer"}


def test_posting_a_legal_action_moves_the_case_one_step(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    response = desk.post(action_url(world.case, "receive"), {"receive-version": "1"})
    assert response.status_code == 302
    assert state(world.case.id) == (CaseStatus.RECEIVED, None, 2, 2)
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "已接待" in page


def test_assigning_through_the_form(signed_in, world: World) -> None:
    walk(world.case, world, "receive")
    db.session.commit()
    desk = signed_in("coordinator")
    response = desk.post(action_url(world.case, "assign"), {
        "assign-version": "2", "assign-assignee": f"team:{world.team.id}",
        "assign-note": "请尽快处理"})
    assert response.status_code == 302
    db.session.expire_all()
    assert world.case.assigned_team_id == world.team.id


def test_a_missing_csrf_token_is_refused_and_changes_nothing(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    before = state(world.case.id)
    response = desk.post(action_url(world.case, "receive"), {"receive-version": "1"},
                         token=False)
    assert response.status_code == 400
    response = desk.post(action_url(world.case, "receive"),
                         {"receive-version": "1", "csrf_token": "forged"})
    assert response.status_code == 400
    assert state(world.case.id) == before


def test_an_illegal_step_is_a_409_in_the_users_language(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    before = state(world.case.id)
    response = desk.post(action_url(world.case, "archive"), {"archive-version": "1"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "不能执行" in body and "已登记" in body
    assert state(world.case.id) == before
    desk.post("/language", {"lang": "en", "next": "/"})
    body = desk.post(action_url(world.case, "archive"),
                     {"archive-version": "1"}).get_data(as_text=True)
    assert "is not possible while the case is" in body


def test_a_stale_page_gets_a_conflict_and_the_current_state(signed_in, world: World) -> None:
    first, second = signed_in("coordinator"), signed_in("coordinator2")
    assert first.post(action_url(world.case, "receive"), {"receive-version": "1"}
                      ).status_code == 302
    response = second.post(action_url(world.case, "receive"), {"receive-version": "1"})
    assert response.status_code == 409
    assert f"/desk/cases/{world.case.id}" in response.get_data(as_text=True)
    assert state(world.case.id) == (CaseStatus.RECEIVED, None, 2, 2)


def test_a_field_error_is_shown_next_to_the_field_and_nothing_changes(
        signed_in, world: World) -> None:
    walk(world.case, world, "receive")
    db.session.commit()
    before = state(world.case.id)
    response = signed_in("coordinator").post(action_url(world.case, "mark_not_ours"), {
        "mark_not_ours-version": "2", "mark_not_ours-reason": ""})
    assert response.status_code == 422
    assert "请填写原因" in response.get_data(as_text=True)
    assert state(world.case.id) == before


def test_a_volunteer_cannot_take_a_coordinators_step(signed_in, world: World) -> None:
    before = state(world.case.id)
    response = signed_in("captain").post(action_url(world.case, "receive"),
                                         {"receive-version": "1"})
    assert response.status_code == 403
    assert state(world.case.id) == before


def test_unknown_case_and_unknown_action_are_404(signed_in, world: World) -> None:
    desk = signed_in("coordinator")
    assert desk.get("/desk/cases/999999").status_code == 404
    assert desk.post(action_url(world.case, "explode"), {}).status_code == 404
    assert "页面或事项不存在" in desk.get("/desk/cases/999999").get_data(as_text=True)


def test_state_changes_are_post_only(signed_in, world: World) -> None:
    """A GET of a step's address (a reload, a bookmark) changes nothing: it shows the case."""
    before = state(world.case.id)
    response = signed_in("coordinator").get(action_url(world.case, "receive"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/desk/cases/{world.case.id}")
    assert state(world.case.id) == before


def test_the_volunteer_page_shows_work_and_takes_field_steps(signed_in, world: World) -> None:
    walk(world.case, world, "assign")
    db.session.commit()
    captain = signed_in("captain")
    page = captain.get("/v/").get_data(as_text=True)
    assert world.case.title in page and "接单" in page
    response = captain.post(f"/v/cases/{world.case.id}/actions/accept",
                            {"accept-version": "3"})
    assert response.status_code == 302
    assert state(world.case.id)[1] == "accepted"
    member = signed_in("member")
    response = member.post(f"/v/cases/{world.case.id}/actions/reply", {"reply-version": "4"})
    assert response.status_code == 403
    outsider = signed_in("outsider_captain")
    assert world.case.title not in outsider.get("/v/").get_data(as_text=True)
    response = outsider.post(f"/v/cases/{world.case.id}/actions/arrive",
                             {"arrive-version": "4"})
    assert response.status_code == 403


def test_public_case_page_hides_phone_numbers_and_internal_notes(web: WebClient,
                                                                 world: World) -> None:
    walk(world.case, world, "receive")
    lifecycle.add_note(world.case, world.desk(), "居民情绪激动，内部提醒")
    db.session.commit()
    page = web.get(f"/c/{world.case.tracking_code}").get_data(as_text=True)
    assert world.case.title in page and "已接待" in page
    assert "内部提醒" not in page
    assert "13812345678" not in page and not shows_phone_tail(page)
    assert web.get("/c/NOSUCHCODE").status_code == 404


def test_the_coordinator_sees_the_full_phone_number(signed_in, world: World) -> None:
    page = signed_in("coordinator").get(f"/desk/cases/{world.case.id}").get_data(as_text=True)
    assert "13812345678" in page


def test_every_desk_page_s_title_is_plain_text(signed_in, world: World) -> None:
    """The browser's tab shows the <title> as text: a tag written into it (the case list's
    script once was) shows as "<script …" in the tab and in a screen reader."""
    web = signed_in("admin")
    for path in ("/desk/board", "/desk/cases", f"/desk/cases/{world.case.id}",
                 "/desk/settings/users", "/desk/settings/teams", "/desk/rota",
                 "/desk/reception", "/inbox/"):
        response = web.get(path)
        assert response.status_code == 200, path
        title = re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S)
        assert title is not None and "<" not in title.group(1), (path, title)
