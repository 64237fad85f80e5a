"""The desk's forms for the standing arrangements: publishing shifts (the repeat rule is
checked by services/standing/recurrence), households and hand-overs, the work log."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FloatField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from dispatch.views.params import BoundedIntegerField, CoordinateField, strip

# --- Shifts (班次): the publish form; the rule is checked by services/standing/recurrence


class ShiftPublishForm(FlaskForm):
    site_name = StringField(_l("Site"), validators=[
        DataRequired(_l("Please name the site.")), Length(max=120)])
    latitude = CoordinateField(_l("Latitude"), limit=90, validators=[
        InputRequired(_l("Pick the site on the map or type its position."))])
    longitude = CoordinateField(_l("Longitude"), limit=180, validators=[
        InputRequired(_l("Pick the site on the map or type its position."))])
    first_day = DateField(_l("Date (first shift)"), validators=[
        InputRequired(_l("Please choose a date."))])
    starts = TimeField(_l("Starts"), validators=[InputRequired(_l("Please give a time."))])
    ends = TimeField(_l("Ends"), validators=[InputRequired(_l("Please give a time."))])
    places = BoundedIntegerField(_l("Places"), minimum=1, maximum=500, default=5,
                                 validators=[InputRequired(_l("How many people?"))])
    skills = SelectMultipleField(_l("Skills wanted (any one)"), validate_choice=True,
                                 widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput())
    note = TextAreaField(_l("Note for the volunteers"), validators=[
        Optional(), Length(max=1000)])
    repeat = SelectField(_l("Repeat"), choices=[
        SelectChoice("", _l("Once")), SelectChoice("daily", _l("Every day")),
        SelectChoice("weekdays", _l("Every weekday (Mon–Fri)")),
        SelectChoice("weekly", _l("Every week"))], validators=[Optional()])
    until = DateField(_l("Repeat until"), validators=[Optional()])
    rule = StringField(_l("Or a repeat rule (RFC 5545 RRULE)"), validators=[
        Optional(), Length(max=500)], filters=[strip])
    opens_hours_before = BoundedIntegerField(
        _l("Sign-up opens … hours before (empty: now)"), minimum=1, maximum=24 * 60,
        validators=[Optional()])
    captain_id = SelectField(_l("Captain"), validators=[Optional()])


class ShiftCancelForm(FlaskForm):
    whole_series = BooleanField(_l("Also every later shift of this series"))


# --- Pairings (结对): a household and its member; a hand-over


class HouseholdForm(FlaskForm):
    label = StringField(_l("Estate and building (shown to others)"), validators=[
        DataRequired(_l("Please give the estate and building.")), Length(max=120)])
    address = StringField(_l("Full address"), validators=[
        DataRequired(_l("Please give the address.")), Length(max=255)])
    latitude = CoordinateField(_l("Latitude"), limit=90, validators=[
        InputRequired(_l("Pick the site on the map or type its position."))])
    longitude = CoordinateField(_l("Longitude"), limit=180, validators=[
        InputRequired(_l("Pick the site on the map or type its position."))])
    people = TextAreaField(_l("The people"), validators=[Optional(), Length(max=2000)])
    needs = TextAreaField(_l("Needs"), validators=[Optional(), Length(max=2000)])
    contact_name = StringField(_l("Contact"), validators=[Optional(), Length(max=60)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=20)])
    member = SelectField(_l("Paired member"), validators=[Optional()])
    rhythm_days = BoundedIntegerField(_l("Visit every … days"), minimum=1, maximum=366,
                                      default=7, validators=[InputRequired()])


class HandOverForm(FlaskForm):
    member = SelectField(_l("Hand over to"), validators=[
        DataRequired(_l("Choose a volunteer or captain."))])


# --- The work log (工作日志 / 谈心谈话本)


class WorkLogForm(FlaskForm):
    kind = RadioField(_l("Kind"), choices=[
        SelectChoice("entry", _l("Work log entry")), SelectChoice("talk", _l("Talk note"))],
        default="entry", validators=[InputRequired()])
    happened_at = DateTimeLocalField(_l("When"), format="%Y-%m-%dT%H:%M", validators=[
        InputRequired(_l("Please give a time."))])
    with_whom = StringField(_l("Talk with (for talk notes)"), validators=[
        Optional(), Length(max=120)])
    text = TextAreaField(_l("What happened"), validators=[
        DataRequired(_l("Please write what happened.")), Length(max=4000)])
    hours = FloatField(_l("Hours served"), validators=[Optional()])
    case_code = StringField(_l("Case tracking code (optional)"), validators=[
        Optional(), Length(max=16)], filters=[strip])
    household = SelectField(_l("Household (optional)"), validators=[Optional()])


class WorkLogSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(_l("Search"), validators=[Optional(), Length(max=60)])
    kind = SelectField(_l("Kind"), choices=[
        SelectChoice("", _l("All")), SelectChoice("entry", _l("Work log entry")),
        SelectChoice("talk", _l("Talk note"))], validators=[Optional()])
