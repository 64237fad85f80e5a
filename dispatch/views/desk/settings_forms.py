"""The settings pages' forms (the categories)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from dispatch.models.people import SKILL_LABELS
from dispatch.models.vocabulary import CLOCK_UNIT_LABELS
from dispatch.views.params import BoundedIntegerField

MAX_CLOCK = 24 * 90
MAX_CLAIM_HOURS = 24 * 30


class CategoryForm(FlaskForm):
    version = BoundedIntegerField(widget=HiddenInput(), validators=[InputRequired()])
    name_zh = StringField(_l("Name (Chinese)"), validators=[
        DataRequired(_l("Please give the Chinese name.")), Length(max=60)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    icon = StringField(_l("Icon (an emoji)"), validators=[Optional(), Length(max=8)])
    skills = SelectMultipleField(_l("Skills it needs"), choices=[
        SelectChoice(k, v) for k, v in SKILL_LABELS.items()])
    clock_unit = RadioField(_l("The clocks count"), choices=[
        SelectChoice(k.value, v) for k, v in CLOCK_UNIT_LABELS.items()],
        validators=[DataRequired()])
    receive_hours = BoundedIntegerField(_l("To receive"), maximum=MAX_CLOCK, validators=[
        InputRequired(_l("A clock must be at least 1."))])
    handle_hours = BoundedIntegerField(_l("To handle"), maximum=MAX_CLOCK, validators=[
        InputRequired(_l("A clock must be at least 1."))])
    reply_hours = BoundedIntegerField(_l("To reply"), maximum=MAX_CLOCK, validators=[
        InputRequired(_l("A clock must be at least 1."))])
    active = BooleanField(_l("Offered for new reports (untick to retire it)"))
    claimable = BooleanField(_l("Volunteers may claim its micro-wishes and tasks on the phone"))
    claim_hours = BoundedIntegerField(_l("A claim lasts (hours)"), maximum=MAX_CLAIM_HOURS,
                                      validators=[InputRequired(
                                          _l("A claim must last at least 1 hour."))])
