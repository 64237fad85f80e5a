"""The residents' forms: reporting in two steps, "me too", feedback on a case."""


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
    HiddenField,
    MultipleFileField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
)
from wtforms.widgets import HiddenInput

from dispatch.views.forms import FeedbackForm
from dispatch.views.params import CoordinateField


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


class PublicForm(FlaskForm):
    """The residents' forms: Flask-WTF's, with WTForms' messages read once per process."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)  # type: ignore[misc]
            return WTFORMS_WORDS


class ReportPlaceForm(PublicForm):
    """Step 1, by GET: what kind of problem and where. Changes nothing, so no CSRF."""

    class Meta:
        csrf = False

    kind = RadioField(_l("What is it?"), choices=[
        SelectChoice("hazard", _l("A hazard")), SelectChoice("wish", _l("A micro-wish"))],
        default="hazard", validators=[DataRequired(_l("Please choose one."))])
    category = RadioField(_l("Category"),
                          validators=[DataRequired(_l("Please choose a category."))])
    lat = CoordinateField(widget=HiddenInput(), limit=90, validators=[
        InputRequired(_l("Tap the map to mark the place, or search for it."))])
    lon = CoordinateField(widget=HiddenInput(), limit=180, validators=[InputRequired()])
    crs = HiddenField(default="display")  # "display": picked on the map; "wgs84": from GPS
    address = StringField(_l("Address or landmark (optional)"),
                          validators=[Optional(), Length(max=255)])


class ReportDetailsForm(PublicForm):
    """Step 2, by POST: the description, photos and (optional) contact."""

    kind = HiddenField(validators=[DataRequired()])
    category = HiddenField(validators=[DataRequired()])
    lat = CoordinateField(widget=HiddenInput(), limit=90, validators=[InputRequired()])
    lon = CoordinateField(widget=HiddenInput(), limit=180, validators=[InputRequired()])
    address = HiddenField(validators=[Optional(), Length(max=255)])
    submission_token = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])
    description = TextAreaField(_l("What is the problem?"), validators=[
        DataRequired(_l("Please describe the problem.")), Length(max=2000)])
    photos = MultipleFileField(_l("Photos (up to 3)"))
    name = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=60)])
    phone = StringField(_l("Your phone (optional)"), validators=[Optional(), Length(max=30)])
    wants_updates = BooleanField(_l("Send me updates by text message"))


class SupportForm(PublicForm):
    submission_token = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])
    phone = StringField(_l("Your phone (optional)"), validators=[Optional(), Length(max=30)])


class ResidentFeedbackForm(FeedbackForm):
    """The resident's verdict on the case's public page, with the key of their link."""

    key = HiddenField(validators=[Optional(), Length(max=64)])
