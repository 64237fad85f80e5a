"""Signing in and out: sessions end for every copy of the cookie, the CSRF token is new
after sign-in, passwords follow the rules, and one address cannot try many accounts."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from dispatch.extensions import db
from dispatch.models import Role, User
from dispatch.services.errors import InvalidInput
from dispatch.services.responders import accounts
from dispatch.views.joining_forms import SetPasswordForm
from tests.conftest import PASSWORD, WebClient
from tests.factories import World

SESSION_COOKIE = "session"


def copy_of_session(web: WebClient, app: Flask) -> WebClient:
    """A second browser holding a copy of ``web``'s session cookie."""
    cookie = web.client.get_cookie(app.config.get("SESSION_COOKIE_NAME", SESSION_COOKIE))
    assert cookie is not None
    thief = WebClient(app)
    thief.client.set_cookie(cookie.key, cookie.value)
    return thief


def test_a_session_cookie_copied_before_logout_no_longer_opens_the_desk(
        app: Flask, signed_in, world: World) -> None:
    coordinator = signed_in("coordinator")
    copy = copy_of_session(coordinator, app)
    assert copy.get("/desk/cases").status_code == 200  # the copy works while signed in
    assert coordinator.post("/logout").status_code == 302
    response = copy.get("/desk/cases")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert coordinator.get("/desk/cases").status_code == 302


def test_the_password_fields_say_what_they_hold_for_the_phones_password_manager(
        app: Flask, web: WebClient) -> None:
    page = web.get("/login").get_data(as_text=True)
    assert re.search(r'<input[^>]*autocomplete="username"[^>]*name="username"', page)
    assert re.search(r'<input[^>]*autocapitalize="none"[^>]*name="username"', page)
    assert re.search(r'<input[^>]*autocomplete="current-password"[^>]*name="password"', page)
    with app.test_request_context():
        form = SetPasswordForm(meta={"csrf": False})
        for field in (form.password, form.confirm):
            assert 'autocomplete="new-password"' in str(field())


def test_the_csrf_token_changes_at_sign_in(web: WebClient, world: World) -> None:
    before = web.csrf("/login")
    assert web.login(world.coordinator.username).status_code == 302
    after = web.csrf("/desk/cases")
    assert after != before
    # The old token no longer passes the check.
    response = web.post("/logout", {"csrf_token": before}, token=False)
    assert response.status_code == 400


def test_signing_in_again_keeps_the_chosen_language(web: WebClient, world: World) -> None:
    web.post("/language", {"lang": "en", "next": "/"})
    assert web.login(world.coordinator.username).status_code == 302
    assert "Dispatch board" in web.get("/desk/board").get_data(as_text=True)


def test_a_cookie_from_before_session_versions_is_no_session(app: Flask, world: World) -> None:
    web = WebClient(app)
    with web.client.session_transaction() as session:
        session["_user_id"] = str(world.coordinator.id)  # the old format: the bare id
        session["_fresh"] = True
    assert web.get("/desk/cases").status_code == 302


def test_deactivating_a_user_ends_their_sessions(app: Flask, signed_in, world: World) -> None:
    member = signed_in("member")
    assert member.get("/v/").status_code == 200
    accounts.deactivate(db.session.get(User, world.member.id))  # type: ignore[arg-type]
    db.session.commit()
    assert member.get("/v/").status_code == 302


def test_changing_a_password_ends_every_session_and_the_new_one_works(
        app: Flask, signed_in, world: World) -> None:
    member = signed_in("member")
    accounts.change_password(db.session.get(User, world.member.id),  # type: ignore[arg-type]
                             "tea by the river at dawn")
    db.session.commit()
    assert member.get("/v/").status_code == 302
    again = WebClient(app)
    assert again.login(world.member.username, PASSWORD).status_code == 401
    assert again.login(world.member.username, "tea by the river at dawn").status_code == 302


def test_a_new_password_must_follow_the_rules(world: World) -> None:
    with pytest.raises(InvalidInput):
        accounts.change_password(world.member, "12345678")


@pytest.mark.parametrize(("password", "fragment"), [
    ("12345678", "至少需要 10 位"),
    ("        ", "不能只有空格"),
    ("          ", "不能只有空格"),
    ("wang.fang.1990", "不能包含用户名"),
    ("my WANG.FANG 2026", "不能包含用户名"),
    ("1234567890", "最常见"),
    ("woaini1314520", "最常见"),
    ("Password123", "最常见"),
    ("qwertyuiop", "最常见"),
    ("aaaaaaaaaaaa", "太简单"),
    ("abababababab", "太简单"),
])
def test_create_user_refuses_weak_passwords_with_a_clear_message(
        app: Flask, password: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        accounts.create_user(username="Wang.Fang", display_name="王芳",
                             role=Role.VOLUNTEER, password=password)
    assert refused.value.field == "password"
    assert fragment in refused.value.message()
    db.session.rollback()


@pytest.mark.parametrize("password", ["dispatch-demo", PASSWORD, "tea by the river at dawn"])
def test_create_user_accepts_good_passwords_including_the_demo_one(
        app: Flask, password: str) -> None:
    user = accounts.create_user(username="wang.fang", display_name="王芳",
                                role=Role.VOLUNTEER, password=password)
    db.session.commit()
    assert user.check_password(password)


def test_the_create_user_command_refuses_a_common_password(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=[
        "create-user", "li.na", "--role", "volunteer", "--password", "1234567890"])
    assert result.exit_code != 0 and "最常见" in result.output
    result = app.test_cli_runner().invoke(args=[
        "create-user", "li.na", "--role", "volunteer", "--password", "li.na.li.na.2026"])
    assert result.exit_code != 0 and "用户名" in result.output


def test_many_failures_from_one_address_across_usernames_are_slowed_down(
        app: Flask, world: World) -> None:
    attacker = WebClient(app)
    usernames = [world.coordinator.username, world.coordinator2.username, world.admin.username,
                 world.captain.username, world.member.username, world.volunteer.username]
    codes = [attacker.login(usernames[n % len(usernames)], "wrong password").status_code
             for n in range(21)]  # at most 4 per username: under the per-username limit
    assert codes[:20] == [401] * 20 and codes[20] == 429
    refused = attacker.login(world.outsider_captain.username)  # even the right password
    assert refused.status_code == 429 and "尝试次数过多" in refused.get_data(as_text=True)
    elsewhere = WebClient(app)
    elsewhere.client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert elsewhere.login(world.coordinator.username).status_code == 302
