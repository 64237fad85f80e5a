"""Ready replies to the resident, in Chinese and in English.

The coordinator picks one on the case page; a script copies its text into the reply box to
be edited. Without the script, choosing a template and leaving the box empty sends the
template as it is. Placeholders (``{title}``, ``{assignee}``, ``{studio}``, ``{code}``) are
filled from the case; the texts are the studio's own words, so they are data here rather
than interface strings for the translation catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from dispatch.models import Case

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class ReplyTemplate:
    code: str
    label: object  # lazy, shown in the select
    zh: str
    en: str

    def text(self, language: str) -> str:
        return self.en if language == "en" else self.zh


TEMPLATES: tuple[ReplyTemplate, ...] = (
    ReplyTemplate(
        "fixed", _l("Fixed"),
        "您好！您反映的“{title}”已由{assignee}处理完毕，感谢您对社区的关心。"
        "如仍有问题，请在本页反馈，我们会再次跟进。——{studio}",
        "Hello! The problem you reported, “{title}”, has been fixed by {assignee}. "
        "Thank you for caring about the neighbourhood. If anything is still wrong, tell us "
        "on this page and we will follow up. — {studio}"),
    ReplyTemplate(
        "temporary", _l("Made safe for now"),
        "您好！“{title}”已由{assignee}先行做了临时处置，彻底修复需要协调相关单位，"
        "我们会继续跟进并在本页更新进展（查询码 {code}）。——{studio}",
        "Hello! {assignee} has made “{title}” safe for now. A lasting repair needs other "
        "bodies to act; we are following it up and will post progress on this page "
        "(tracking code {code}). — {studio}"),
    ReplyTemplate(
        "referred", _l("Passed to the responsible body"),
        "您好！经核实，“{title}”属于相关职能部门的职责范围，我们已转交并督促办理，"
        "结果会在本页告知您。——{studio}",
        "Hello! We checked “{title}”: it is the responsibility of another public body. We "
        "have passed it on and will press for it to be handled; the result will be posted "
        "on this page. — {studio}"),
    ReplyTemplate(
        "wish_done", _l("Micro-wish fulfilled"),
        "您好！您的微心愿“{title}”已由{assignee}帮您实现，祝您生活愉快！——{studio}",
        "Hello! Your micro-wish “{title}” has been fulfilled by {assignee}. "
        "All the best! — {studio}"),
    ReplyTemplate(
        "thanks", _l("Thanks for reporting"),
        "感谢您反映“{title}”！问题已处理，欢迎继续通过“码上办”反映身边的问题。——{studio}",
        "Thank you for reporting “{title}”! It has been dealt with; please keep telling "
        "us about problems around you. — {studio}"),
)
BY_CODE = {template.code: template for template in TEMPLATES}


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def render(code: str, language: str, case: Case) -> str | None:
    """The template's text for this case, or None for an unknown code or language."""
    template = BY_CODE.get(code)
    if template is None or language not in LANGUAGES:
        return None
    studio = case.studio
    assignee_en = (case.assigned_team.name_en if case.assigned_team
                   else case.assigned_volunteer.display_name if case.assigned_volunteer
                   else "")
    assignee_zh = (case.assigned_team.name_zh if case.assigned_team
                   else case.assigned_volunteer.display_name if case.assigned_volunteer
                   else "")
    values = _Blank(
        title=case.title, code=case.tracking_code,
        assignee=(assignee_en or "our volunteers") if language == "en"
        else (assignee_zh or "志愿者"),
        studio=(studio.name_en if language == "en" else studio.name_zh) if studio else "")
    return template.text(language).format_map(values)


def choices(case: Case) -> list[tuple[str, str, str]]:
    """(value, label, text) for the select: every template in both languages."""
    return [(f"{t.code}.{language}", f"{t.label} · {'中文' if language == 'zh' else 'English'}",
             render(t.code, language, case) or "")
            for t in TEMPLATES for language in LANGUAGES]


def parse(value: str) -> tuple[str, str]:
    """``"fixed.en"`` → ("fixed", "en"); a bare code means Chinese, the default."""
    code, _sep, language = (value or "").partition(".")
    return code, language or "zh"
