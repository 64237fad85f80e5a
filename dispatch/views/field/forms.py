"""The volunteers' and captains' own forms (the case actions are in ``views/forms.py``)."""


from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
)
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from dispatch.views.params import CoordinateField


class ShareOutForm(FlaskForm):
    member = SelectField(_l("Share out to"), validators=[
        DataRequired(_l("Choose a member of this team."))])


class AvailabilityForm(FlaskForm):
    on_duty = BooleanField(_l("I am on duty and can take work"))
    skills = SelectMultipleField(_l("My skills"), widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput(), validate_choice=True)


class ShiftStepForm(FlaskForm):
    """Sign up, drop out, check out, release, no-show, ask: nothing but the CSRF token."""


class ShiftCheckInForm(FlaskForm):
    """A shift's check-in: the phone's position when it shares it (static/js/volunteer.js)."""

    latitude = CoordinateField(widget=HiddenInput(), limit=90, validators=[Optional()])
    longitude = CoordinateField(widget=HiddenInput(), limit=180, validators=[Optional()])


class VisitForm(FlaskForm):
    """走访: when, what was found, what was done, the follow-up."""

    visited_at = DateTimeLocalField(_l("When"), format="%Y-%m-%dT%H:%M", validators=[
        InputRequired(_l("Please give the time of the visit."))])
    found = TextAreaField(_l("What I found"), validators=[Optional(), Length(max=2000)])
    done = TextAreaField(_l("What I did"), validators=[Optional(), Length(max=2000)])
    follow_up = TextAreaField(_l("Follow-up"), validators=[Optional(), Length(max=1000)])


class RaiseCaseForm(FlaskForm):
    """A need found on a visit, filed as a micro-wish case."""

    category = SelectField(_l("Category"), validators=[
        DataRequired(_l("Choose a category."))])
    need = TextAreaField(_l("The need"), validators=[
        DataRequired(_l("Please describe the need.")), Length(max=2000)])
