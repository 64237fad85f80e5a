"""Forms for people joining and leaving: the volunteer's application (phone), setting a
password through a one-time link, and the decisions on the desk and the captain's page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from dispatch.models.people import SKILL_LABELS
from dispatch.views.params import CoordinateField, IdField, strip


class JoinForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[
        DataRequired(_l("Please give your name.")), Length(max=60)])
    phone = StringField(_l("Mobile number (your username)"), validators=[
        DataRequired(_l("Please give your mobile number: it will be your username.")),
        Length(max=30)])
    skills = SelectMultipleField(
        _l("What you can help with"), choices=[SelectChoice(k, v) for k, v in
                                               SKILL_LABELS.items()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    base_place = StringField(_l("Where you usually are (estate, road, landmark)"),
                             validators=[DataRequired(_l("Please say where you usually are.")),
                                         Length(max=120)])
    lat = CoordinateField(widget=HiddenInput(), limit=90, validators=[Optional()])
    lon = CoordinateField(widget=HiddenInput(), limit=180, validators=[Optional()])
    team = SelectField(_l("The team you want to join"), filters=[strip],
                       validators=[Optional()], validate_choice=False)
    submission_token = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])


class SetPasswordForm(FlaskForm):
    # "new-password": the phone's password manager offers to make one and keep it.
    password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Please enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("The same password again"), validators=[
        DataRequired(_l("Please enter your password.")),
        EqualTo("password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})


class DecisionForm(FlaskForm):
    application_id = IdField(widget=HiddenInput(), validators=[InputRequired()])
    decision = HiddenField(validators=[DataRequired()])  # "approve" or "decline"
    reason = StringField(_l("Reason (for the applicant)"),
                         validators=[Optional(), Length(max=255)])


class UserActionForm(FlaskForm):
    user_id = IdField(widget=HiddenInput(), validators=[InputRequired()])
