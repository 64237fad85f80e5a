"""Template filters and globals: local times, masked phones, labels, the language switch."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask, g, request
from flask_babel import format_datetime, format_timedelta, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import AssignmentStatus, Case, CaseStatus, InboxMessage
from dispatch.models.people import SKILL_LABELS
from dispatch.services.cases.sent_back import sent_back
from dispatch.services.permissions import may_see_reporter_phone
from dispatch.services.phones import display_phone, mask_phone
from dispatch.services.text import listing
from dispatch.views.audit_labels import audit_field
from dispatch.views.forms import TEXT_SIZE_COOKIE

STATUS_COLOURS = {
    CaseStatus.REGISTERED: "secondary",
    CaseStatus.RECEIVED: "info",
    CaseStatus.HANDLING: "primary",
    CaseStatus.REPLIED: "warning",
    CaseStatus.FEEDBACK: "success",
    CaseStatus.ARCHIVED: "dark",
}


def local_time(value: datetime | None, style: str = "short") -> str:
    """Stored in UTC, shown in the display time zone (Asia/Shanghai by default)."""
    if value is None:
        return ""
    if style == "short":
        return format_datetime(value, "yyyy-MM-dd HH:mm")
    return format_datetime(value, style)


def status_badge(status: CaseStatus, assignment: AssignmentStatus | None = None) -> Markup:
    label = escape(CaseStatus(status).label)
    if assignment:
        label += Markup(" · ") + escape(AssignmentStatus(assignment).label)
    colour = STATUS_COLOURS[CaseStatus(status)]
    return Markup(f'<span class="badge text-bg-{colour}" data-status="{status}">{label}</span>')


def duration(value: timedelta | None) -> str:
    """How long is left, in words: "2 days", "5 hours"."""
    if value is None:
        return ""
    return format_timedelta(value, granularity="minute", threshold=1.5)


def countdown(value: timedelta | None) -> str:
    """Time left to the minute's precision that matters: "2 d 23 h", "5 h 12 min" (never
    rounded up, so it agrees with the deadline shown beside it)."""
    if value is None:
        return ""
    minutes = max(int(value.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    if days:
        return _("%(d)d d %(h)d h", d=days, h=rest // 60)
    return _("%(h)d h %(m)d min", h=rest // 60, m=rest % 60)


def sees_reporter_phone(case: Case) -> bool:
    """Whether the signed-in person may see this case's resident's full phone number."""
    return may_see_reporter_phone(case, current_user if current_user.is_authenticated
                                  else None)


def error_aria(field: Any) -> dict[str, str]:
    """The attributes that tell a screen reader a field has errors and where they are
    written: ``aria-invalid`` and ``aria-describedby`` (the ``<id>-error`` block)."""
    if not field.errors:
        return {}
    return {"aria_invalid": "true", "aria_describedby": f"{field.id}-error"}


def csrf_field() -> Markup:
    """The hidden CSRF field of a form that sends nothing else the server checks (sign out,
    the language switch, "retry"): what a FlaskForm's ``csrf_token`` renders, without
    building a form on every page."""
    return Markup('<input name="csrf_token" type="hidden" value="%s">') % generate_csrf()


def _unread_count() -> int:
    if not current_user.is_authenticated:
        return 0
    if "unread_count" in g:  # read with the user at sign-in of this request (views/auth.py)
        return int(g.unread_count)
    return db.session.scalar(select(func.count()).select_from(InboxMessage).where(
        InboxMessage.user_id == current_user.id, InboxMessage.read_at.is_(None))) or 0


def register(app: Flask) -> None:
    app.add_template_filter(local_time)
    app.add_template_filter(duration)
    app.add_template_filter(countdown)
    app.add_template_filter(listing)
    app.add_template_filter(lambda code: str(SKILL_LABELS.get(code, code)), "skill_label")
    app.add_template_filter(mask_phone)
    app.add_template_filter(display_phone)
    app.add_template_filter(audit_field)
    app.add_template_global(status_badge)
    app.add_template_global(sees_reporter_phone)
    app.add_template_global(error_aria)
    app.add_template_global(csrf_field)
    app.add_template_global(sent_back)

    @app.context_processor
    def _globals() -> dict[str, object]:
        locale = get_locale()
        return {
            "unread_count": _unread_count(),
            "current_language": locale.language if locale else "zh",
            "text_large": request.cookies.get(TEXT_SIZE_COOKIE) == "large",
        }
