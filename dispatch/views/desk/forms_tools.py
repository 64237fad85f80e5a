"""Forms of the desk's tools: the duty rota and the import of inspection findings."""

from __future__ import annotations

from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, TimeField
from wtforms.validators import InputRequired
from wtforms.widgets import HiddenInput


class ShiftForm(FlaskForm):
    """One shift on the rota; the people and days are filled in by the view."""

    user_id = SelectField(_l("Person"), coerce=int, validators=[
        InputRequired(_l("Choose who is on duty."))])
    weekday = SelectField(_l("Day"), coerce=int, validators=[
        InputRequired(_l("Choose a day of the week."))])
    starts = TimeField(_l("From"), format="%H:%M", default=time(8, 30), validators=[
        InputRequired(_l("Enter a time as HH:MM, for example 08:30."))])
    ends = TimeField(_l("Until"), format="%H:%M", default=time(17, 30), validators=[
        InputRequired(_l("Enter a time as HH:MM, for example 08:30."))])


class ShiftRemoveForm(FlaskForm):
    shift_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class ImportUploadForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[
        FileRequired(_l("Choose a file to upload."))])


class ImportConfirmForm(FlaskForm):
    """The rows ticked on the preview; the service refuses any row with errors."""

    rows = SelectMultipleField(coerce=int, validate_choice=False)
    skip_bad = BooleanField(_l("Skip the rows with errors"))
