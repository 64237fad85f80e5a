"""The forms more than one audience uses: signing in, the language, notification settings,
and the case action forms the desk and the field share. Every message is translatable.

Each audience's own forms are beside its routes (``views/<audience>/forms.py``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from babel.support import Translations
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    MultipleFileField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from dispatch.services.errors import InvalidInput
from dispatch.views.params import BoundedIntegerField, CoordinateField, parse_id


@cache
def _wtforms_catalog(locale: str) -> Translations:
    """WTForms' own messages (and the labels it makes up for fields without one) in one
    language: a file shipped with WTForms, read once per process, not once per request as
    Flask-WTF does."""
    return Translations.load(messages_path(), [locale], domain="wtforms")


class _WTFormsWords:
    """Flask-WTF's ``translations`` (the request's language), from the cached catalog."""

    @staticmethod
    def _catalog() -> Translations:
        return _wtforms_catalog(str(get_locale()))

    def gettext(self, string: str) -> str:
        return self._catalog().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalog().ungettext(singular, plural, n)


WTFORMS_WORDS = _WTFormsWords()


class Form(FlaskForm):
    """Flask-WTF's form, with WTForms' own messages read once per process and language
    (the residents' forms, the case steps and the rest of this module's)."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)  # type: ignore[misc]
            return WTFORMS_WORDS


class LoginForm(Form):
    # For the phone's password manager, and no capital a phone's keyboard adds by itself.
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Please enter your username.")), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none",
                   "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Please enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class LanguageForm(Form):
    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()


# The phone pages' larger-text setting: a cookie of its own, kept for a year (the session
# ends with the browser; an older resident's choice should not).
TEXT_SIZE_COOKIE = "text_size"
TEXT_SIZES = ("normal", "large")


class TextSizeForm(Form):
    size = HiddenField(validators=[DataRequired(), AnyOf(TEXT_SIZES)])
    next = HiddenField()


class ActionForm(Form):
    """Base of every case action: carries the version the page was rendered at, so a
    stale page is refused with a conflict instead of overwriting someone else's step."""

    version = BoundedIntegerField(widget=HiddenInput(), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class RequiredNoteForm(ActionForm):
    note = TextAreaField(_l("Note"), validators=[
        DataRequired(_l("This field is required.")), Length(max=2000)])


class CheckInForm(ActionForm):
    """到场签到: the phone's position, when it shares it (filled in by a small script)."""

    latitude = CoordinateField(widget=HiddenInput(), limit=90, validators=[Optional()])
    longitude = CoordinateField(widget=HiddenInput(), limit=180, validators=[Optional()])


class FinishForm(RequiredNoteForm):
    photos = MultipleFileField(_l("After photos (up to 3)"))


class AssignForm(ActionForm):
    # The dropdown lists the nearest; a suggestion may post anyone, and the lifecycle
    # service checks that the team or volunteer exists and is active.
    assignee = SelectField(_l("Team or volunteer"), validators=[
        DataRequired(_l("Choose a team or a volunteer.")), Length(max=20)],
        validate_choice=False)

    def validate_assignee(self, field: SelectField) -> None:
        kind, _sep, raw_id = (field.data or "").partition(":")
        if kind not in ("team", "user") or parse_id(raw_id) is None:
            raise ValidationError(_l("Choose a team or a volunteer."))


class ReplyForm(ActionForm):
    note = None  # the reply's text is its note: a second box would be silently dropped
    template = SelectField(_l("Start from a ready reply"), validators=[Optional()],
                           validate_choice=False)
    text = TextAreaField(_l("Reply to the resident"), validators=[Length(max=4000)])

    def validate_text(self, field: TextAreaField) -> None:
        if not (field.data or "").strip() and not self.template.data:
            raise ValidationError(_l("Please write the reply to the resident."))


class AnswerForm(ActionForm):
    text = TextAreaField(_l("The answer given (the resident sees it)"), validators=[
        DataRequired(_l("Please write the answer that was given.")), Length(max=4000)])


class EscalateForm(ActionForm):
    note = TextAreaField(_l("Why the lead should look at it"), validators=[
        DataRequired(_l("This field is required.")), Length(max=2000)])


class ModerateTextForm(ActionForm):
    field = SelectField(_l("Text"), choices=[
        SelectChoice("title", _l("Title")), SelectChoice("description", _l("Description")),
        SelectChoice("feedback_comment", _l("Resident's comment"))],
        validators=[DataRequired()])
    replacement = TextAreaField(_l("Text to show instead (empty: hide it)"),
                                validators=[Optional(), Length(max=2000)])


class PhotoVisibilityForm(ActionForm):
    hidden = HiddenField(validators=[DataRequired(), AnyOf(["1", "0"])])


class FeedbackForm(ActionForm):
    """The resident's verdict: every choice made by the resident, none made for them."""

    note = None  # the comment is the resident's words; nothing else is kept
    satisfied = RadioField(_l("Is the resident satisfied?"),
                           choices=[SelectChoice("yes", _l("Satisfied")),
                                    SelectChoice("no", _l("Not satisfied"))],
                           validators=[DataRequired(_l("Please say whether you are satisfied."))])
    rating = RadioField(_l("Rating"), choices=[SelectChoice(str(n)) for n in range(1, 6)],
                        validators=[DataRequired(_l("Please choose a rating from 1 to 5."))])
    # Yes or no, or left unanswered (kept as "not said"): never a box whose blank means both.
    fixed = RadioField(_l("Is it really fixed?"),
                       choices=[SelectChoice("yes", _l("Yes, it is fixed")),
                                SelectChoice("no", _l("No, not yet"))],
                       validators=[Optional()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class DuplicateForm(ActionForm):
    original = StringField(_l("Tracking code of the original case"), validators=[
        DataRequired(_l("Enter the tracking code of the case this one repeats.")),
        Length(max=16)])


class NotOursForm(ActionForm):
    note = None  # the reason is the note
    reason = TextAreaField(_l("Reason (shown to the resident)"), validators=[
        DataRequired(_l("Please give the reason, for the resident.")), Length(max=255)])


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "receive": ActionForm,
    "assign": AssignForm,
    "reassign": AssignForm,
    "accept": ActionForm,
    "decline": RequiredNoteForm,
    "arrive": CheckInForm,
    "finish": FinishForm,
    "claim": ActionForm,
    "release": RequiredNoteForm,
    "check_work": ActionForm,
    "return_work": RequiredNoteForm,
    "reply": ReplyForm,
    "give_feedback": FeedbackForm,
    "reopen": RequiredNoteForm,
    "archive": ActionForm,
    "mark_duplicate": DuplicateForm,
    "mark_not_ours": NotOursForm,
    "answer": AnswerForm,
}


class NotificationSettingsForm(Form):
    email = StringField(_l("Email address"), validators=[
        Optional(), Length(max=254),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("This is not a valid email address."))])
    notify_by_email = BooleanField(_l("Also send my notifications by email"))
    language = SelectField(_l("Language of my notifications"), choices=[
        SelectChoice("zh", "简体中文"), SelectChoice("en", "English")])


def show_error(form: FlaskForm, error: InvalidInput, fallback: Field,
               aliases: dict[str, str] | None = None) -> None:
    """Show a service's input error beside the field it names (``aliases`` maps a service's
    name for a field to the form's), else beside ``fallback``; what was typed stays."""
    name = (aliases or {}).get(error.field, error.field)
    field = getattr(form, name, None)
    if not isinstance(field, Field):
        field = fallback
    field.errors = [*field.errors, error.message()]


class TokenForm(Form):
    name = StringField(_l("What the token is for"), validators=[
        DataRequired(_l("Give the token a name.")), Length(max=60)])
