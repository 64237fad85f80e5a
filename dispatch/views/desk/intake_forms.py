"""The desk's intake form (登记 for a resident at the desk) and the reception-day forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from dispatch.models.vocabulary import CHANNEL_LABELS, DESK_CHANNELS, KIND_LABELS
from dispatch.services.desk.intake import NEXT_STEPS, RECEIVE
from dispatch.views.params import CoordinateField, IdField, strip


class IntakeForm(FlaskForm):
    """One page, keyboard first: channel, who, where, what, and what happens next."""

    channel = RadioField(_l("How it reached us"), default="walk_in",
                         choices=[SelectChoice(c.value, CHANNEL_LABELS[c]) for c in DESK_CHANNELS],
                         validators=[DataRequired(_l("Choose how the matter reached the studio."))])
    kind = RadioField(_l("What is it?"), default="hazard",
                      choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
                      validators=[DataRequired(_l("Please choose one."))])
    category = SelectField(_l("Category"), filters=[strip], validators=[
        DataRequired(_l("Please choose a category."))])
    reporter_name = StringField(_l("Resident's name"), validators=[Optional(), Length(max=60)])
    reporter_phone = StringField(_l("Resident's phone"), validators=[Optional(), Length(max=30)])
    place = StringField(_l("Place (type a name, or click the map)"),
                        validators=[Optional(), Length(max=60)])
    lat = CoordinateField(widget=HiddenInput(), limit=90, validators=[Optional()])
    lon = CoordinateField(widget=HiddenInput(), limit=180, validators=[Optional()])
    crs = HiddenField(default="display")  # "display": clicked on the map; "wgs84": a match
    address = StringField(_l("Address or landmark"), validators=[Optional(), Length(max=255)])
    title = StringField(_l("Short title (optional)"), validators=[Optional(), Length(max=120)])
    description = TextAreaField(_l("What the resident said"), validators=[
        DataRequired(_l("Please describe the problem.")), Length(max=2000)])
    photos = MultipleFileField(_l("Photos (up to 3)"))
    then = RadioField(_l("Then"), default=RECEIVE,
                      choices=[SelectChoice(key, label) for key, label in NEXT_STEPS.items()],
                      validators=[DataRequired(_l("Choose what happens next."))])
    assignee = SelectField(_l("Assign to"), validate_choice=False, filters=[strip],
                           validators=[Optional()])
    answer = TextAreaField(_l("The answer given (the resident sees it)"),
                           validators=[Optional(), Length(max=4000)])
    session = IdField(widget=HiddenInput(), validators=[Optional()])
    submission_token = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])
    # The look-alikes the coordinator has been shown (ids, comma-separated): the form is
    # filed only once every open look-alike nearby was on the screen.
    seen = HiddenField(validators=[Optional(), Length(max=400)])


class ReceptionSessionForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(_l("Choose a date."))])
    starts = TimeField(_l("From"), format="%H:%M", validators=[
        InputRequired(_l("Enter a time as HH:MM, for example 08:30."))])
    ends = TimeField(_l("Until"), format="%H:%M", validators=[
        InputRequired(_l("Enter a time as HH:MM, for example 08:30."))])
    representatives = SelectMultipleField(_l("Representatives on duty"), coerce=int,
                                          validators=[DataRequired(
                                              _l("Choose who receives in this session."))])
    topic = StringField(_l("Topic (optional)"), validators=[Optional(), Length(max=120)])


class VisitNoteForm(FlaskForm):
    """Someone received whose matter needs no case: a line for the work log."""

    visitor_name = StringField(_l("Name"), validators=[Optional(), Length(max=60)])
    visitor_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    note = TextAreaField(_l("What was said"), validators=[
        DataRequired(_l("Please write what was said.")), Length(max=2000)])
