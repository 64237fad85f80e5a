"""The residents' forms: reporting in two steps, "me too", feedback on a case."""


from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    MultipleFileField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
)
from wtforms.widgets import HiddenInput

from dispatch.views.forms import FeedbackForm, Form
from dispatch.views.params import CoordinateField


class ReportPlaceForm(Form):
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


class ReportDetailsForm(Form):
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


class SupportForm(Form):
    submission_token = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])
    phone = StringField(_l("Your phone (optional)"), validators=[Optional(), Length(max=30)])


class ResidentFeedbackForm(FeedbackForm):
    """The resident's verdict on the case's public page, with the key of their link."""

    key = HiddenField(validators=[Optional(), Length(max=64)])
