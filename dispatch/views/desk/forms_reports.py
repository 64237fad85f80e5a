"""Forms of the monthly report (a GET filter) and the ledger export (a POST with CSRF)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional, Regexp, ValidationError

from dispatch.services.desk.exports import MAX_EXPORT_DAYS


class MonthForm(FlaskForm):
    """?month=YYYY-MM&studio=<id>: read from the query string, no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    month = StringField(_l("Month"), validators=[Optional(), Regexp(
        r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Give the month as YYYY-MM, e.g. 2026-05."))])
    studio = SelectField(_l("Studio"), validators=[Optional()])
    print_view = StringField(validators=[Optional()])


class ExportForm(FlaskForm):
    date_from = DateField(_l("From (registered on or after)"), validators=[
        InputRequired(_l("Choose a date."))])
    date_to = DateField(_l("To (registered on or before)"), validators=[
        InputRequired(_l("Choose a date."))])
    file_format = RadioField(_l("File format"), default="xlsx", choices=[
        SelectChoice("xlsx", _l("Excel workbook (XLSX)")),
        SelectChoice("csv", _l("CSV (UTF-8, one row per event)"))],
        validators=[DataRequired(_l("Choose a file format."))])

    def validate_date_to(self, field: Field) -> None:
        start: date | None = self.date_from.data
        end: date | None = field.data
        if start is None or end is None:
            return
        if start > end:
            raise ValidationError(_l("The end date is before the start date."))
        if (end - start).days + 1 > MAX_EXPORT_DAYS:
            raise ValidationError(_l("At most %(n)d days at a time.", n=MAX_EXPORT_DAYS))
