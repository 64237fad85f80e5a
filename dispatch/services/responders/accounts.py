"""Staff accounts: creating them and checking passwords."""

from __future__ import annotations

import secrets
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from dispatch.extensions import db
from dispatch.models import Role, Studio, User, VolunteerProfile
from dispatch.models.people import FIELD_ROLES
from dispatch.services.errors import InvalidInput
from dispatch.services.phones import normalise_phone

MIN_PASSWORD_LENGTH = 8


@cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so both paths take as long."""
    return generate_password_hash(secrets.token_hex(16))


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def create_user(*, username: str, display_name: str, role: Role, password: str,
                phone: str | None = None, studio: Studio | None = None) -> User:
    username = username.strip().lower()
    if not username:
        raise InvalidInput("username", _("Please enter a username."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password", _("The password needs at least %(n)d characters.",
                                         n=MIN_PASSWORD_LENGTH))
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username)):
        raise InvalidInput("username", _("This username is taken."))
    user = User(username=username, display_name=display_name.strip() or username, role=role,
                phone=normalise_phone(phone), studio=studio)
    user.set_password(password)
    if role in FIELD_ROLES:
        user.profile = VolunteerProfile()
    try:
        with db.session.begin_nested():  # the unique index decides a race for the name
            db.session.add(user)
    except IntegrityError as error:
        raise InvalidInput("username", _("This username is taken.")) from error
    return user
