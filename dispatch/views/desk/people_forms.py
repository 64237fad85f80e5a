"""The forms of the users' and the teams' settings pages. Choices that come from the
database (studios, regions) are filled in by the view; a value outside them is a form
error, never a 500."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from dispatch.models.people import SKILL_LABELS
from dispatch.views.params import BoundedIntegerField, CoordinateField, parse_id


def optional_id(value: object) -> int | None:
    """"" is no choice; anything else must be a row's id (a bad one is a form error)."""
    if value in (None, "", "None"):
        return None
    parsed = parse_id(value)
    if parsed is None:
        raise ValueError(value)
    return parsed


class UserForm(FlaskForm):
    version = BoundedIntegerField(widget=HiddenInput(), validators=[InputRequired()])
    display_name = StringField(_l("Name"), validators=[
        DataRequired(_l("Please give the name.")), Length(max=60)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    studio_id = SelectField(_l("Studio"), coerce=optional_id, validators=[Optional()])
    is_studio_lead = BooleanField(_l("Studio lead (hears of every escalation)"))


class NewUserForm(UserForm):
    version = BoundedIntegerField(widget=HiddenInput(), validators=[Optional()])
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Please enter a username.")), Length(max=64),
        Regexp(r"^[A-Za-z0-9._@+-]+$", message=_l(
            "Letters, digits and . _ @ + - only."))])
    phone = StringField(_l("Mobile number"), validators=[Optional(), Length(max=30)])


class TeamForm(FlaskForm):
    version = BoundedIntegerField(widget=HiddenInput(), validators=[Optional()])
    code = StringField(_l("Code"), validators=[
        DataRequired(_l("Please give a code.")), Length(max=32),
        Regexp(r"^[a-z0-9_-]+$", message=_l("Lower-case letters, digits, _ and - only."))])
    name_zh = StringField(_l("Name (Chinese)"), validators=[
        DataRequired(_l("Please give the Chinese name.")), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    region_id = SelectField(_l("Region"), coerce=optional_id,
                            validators=[DataRequired(_l("Please choose the region."))])
    studio_id = SelectField(_l("Studio"), coerce=optional_id, validators=[Optional()])
    latitude = CoordinateField(_l("Base latitude"), limit=90, validators=[
        InputRequired(_l("Please give the team's base position."))])
    longitude = CoordinateField(_l("Base longitude"), limit=180, validators=[
        InputRequired(_l("Please give the team's base position."))])
    skills = SelectMultipleField(
        _l("Skills"), choices=[SelectChoice(k, v) for k, v in SKILL_LABELS.items()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class CaptainForm(FlaskForm):
    version = BoundedIntegerField(widget=HiddenInput(), validators=[InputRequired()])
    captain_id = SelectField(_l("Captain"), coerce=optional_id, validators=[
        DataRequired(_l("Please choose the captain."))])


class TeamStateForm(FlaskForm):
    version = BoundedIntegerField(widget=HiddenInput(), validators=[InputRequired()])

