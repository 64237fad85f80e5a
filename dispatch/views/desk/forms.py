"""The desk's own forms: the case list and board filters, rosters and group chats, the
rota, the batch import, the monthly report and exports."""


from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    Field,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from dispatch.models import OPEN_STATUSES, CaseKind, CaseStatus, Category, Region, Studio
from dispatch.services.cases.queries import CaseFilter
from dispatch.services.desk.exports import MAX_EXPORT_DAYS
from dispatch.views.params import IdField, parse_choice, parse_id, strip


class StatusFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), validators=[Optional()], filters=[strip])
    kind = SelectField(_l("Kind"), validators=[Optional()], filters=[strip])
    overdue = BooleanField(_l("Overdue only"))
    q = StringField(_l("Search"), validators=[Optional(), Length(max=60)])


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Internal note"), validators=[
        DataRequired(_l("The note is empty.")), Length(max=2000)])


class RosterAddForm(FlaskForm):
    username = StringField(_l("Username of the volunteer to add"), validators=[
        DataRequired(_l("Please enter a username.")), Length(max=64)])


class RosterRemoveForm(FlaskForm):
    user_id = IdField(widget=HiddenInput(), validators=[InputRequired()])


class WebhookForm(FlaskForm):
    kind = SelectField(_l("Group chat"), choices=[
        SelectChoice("wecom", _l("WeCom")), SelectChoice("dingtalk", _l("DingTalk")),
        SelectChoice("feishu", _l("Feishu"))], validators=[DataRequired()])
    url = StringField(_l("Robot webhook address"), validators=[
        Optional(), Length(max=500),
        URL(require_tld=False, message=_l("This is not a valid web address."))])


# --- The dispatch board's filter: a GET form whose bad values are dropped

ALL_STUDIOS = "all"


class BoardFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    # A whitespace-only value is stripped to "" (all); Optional() alone would let it
    # through unchecked, to CaseStatus(" ").
    status = SelectField(_l("Status"), validators=[Optional()], filters=[strip])
    kind = SelectField(_l("Kind"), validators=[Optional()], filters=[strip])
    category = SelectField(_l("Category"), validators=[Optional()], filters=[strip])
    region = SelectField(_l("Region"), validators=[Optional()], filters=[strip])
    studio = SelectField(_l("Studio"), validators=[Optional()], filters=[strip])
    overdue = BooleanField(_l("Overdue only"))
    q = StringField(_l("Search"), validators=[Optional(), Length(max=60)])

    def fill_choices(self, categories: Iterable[Category], regions: Iterable[Region],
                     studios: Iterable[Studio]) -> None:
        self.status.choices = [SelectChoice("", _l("All open cases"))] + [
            SelectChoice(s.value, s.label) for s in OPEN_STATUSES]
        self.kind.choices = [SelectChoice("", _l("All kinds"))] + [
            SelectChoice(k.value, k.label) for k in CaseKind]
        self.category.choices = [SelectChoice("", _l("All categories"))] + [
            SelectChoice(str(c.id), f"{c.icon} {c.name}".strip()) for c in categories]
        self.region.choices = [SelectChoice("", _l("All regions"))] + [
            SelectChoice(str(r.id), r.name) for r in regions]
        self.studio.choices = [SelectChoice(ALL_STUDIOS, _l("All studios"))] + [
            SelectChoice(str(s.id), s.name) for s in studios]

    def to_filter(self, own_studio_id: int | None) -> CaseFilter:
        """The filter these arguments ask for. A value that is not one of the choices is
        ignored; with no studio chosen, the coordinator's own studio is shown first."""
        self.validate()
        if not self.studio.raw_data or self.studio.errors:  # not given, or unknown
            self.studio.data = str(own_studio_id) if own_studio_id else ALL_STUDIOS
            self.studio.errors = []
        return CaseFilter(
            status=parse_choice(self.status.data, CaseStatus) if self._valid(self.status)
            else None,
            kind=parse_choice(self.kind.data, CaseKind) if self._valid(self.kind) else None,
            category_id=parse_id(self.category.data) if self._valid(self.category) else None,
            region_id=parse_id(self.region.data) if self._valid(self.region) else None,
            studio_id=parse_id(self.studio.data),  # None for "all" or none given
            overdue_only=bool(self.overdue.data),
            text=(self.q.data or "").strip() if not self.q.errors else "",
            open_only=True)

    @staticmethod
    def _valid(field: Any) -> bool:
        return bool(field.data) and not field.errors

    def query_args(self) -> dict[str, str]:
        """The filter as query arguments, for links that keep it (pages, the GeoJSON)."""
        args = {name: str(getattr(self, name).data or "")
                for name in ("status", "kind", "category", "region", "studio", "q")
                if not getattr(self, name).errors}
        if self.overdue.data:
            args["overdue"] = "y"
        return {key: value for key, value in args.items() if value}


# --- Forms of the desk's tools: the duty rota and the import of inspection findings.

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
    shift_id = IdField(widget=HiddenInput(), validators=[InputRequired()])


class ImportUploadForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[
        FileRequired(_l("Choose a file to upload."))])


class ImportConfirmForm(FlaskForm):
    """The rows ticked on the preview; the service refuses any row with errors."""

    rows = SelectMultipleField(coerce=int, validate_choice=False)
    skip_bad = BooleanField(_l("Skip the rows with errors"))


# --- Forms of the monthly report (a GET filter) and the ledger export (a POST with CSRF).

class MonthForm(FlaskForm):
    """?month=YYYY-MM&studio=<id>: read from the query string, no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    month = StringField(_l("Month"), filters=[strip], validators=[Optional(), Regexp(
        r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Give the month as YYYY-MM, e.g. 2026-05."))])
    studio = SelectField(_l("Studio"), validators=[Optional()], filters=[strip])
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
