"""The settings pages' forms for studios, service points and reply templates. The fields
parse (a number that is not one, a latitude of 91 or NaN, a code with a space are form
errors); the services check the rest and name the field, and what was typed stays."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from dispatch.models.places import SERVICE_POINT_LABELS
from dispatch.services.desk import place_checks
from dispatch.services.errors import InvalidInput
from dispatch.services.responders.rota import WEEKDAYS
from dispatch.views.params import BoundedIntegerField, CoordinateField, parse_coordinate


class RadiusField(FloatField):
    """Kilometres, finite (NaN and 1e300 are form errors, not a stored value)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = parse_coordinate(valuelist[0], 50) if valuelist[0].strip() else None
        if self.data is None or self.data < 0.1:
            self.data = None
            raise ValueError(_l("Between 0.1 and 50 km."))


class PlaceForm(FlaskForm):
    version = BoundedIntegerField(widget=HiddenInput(), validators=[InputRequired()])
    code = StringField(_l("Code (letters and digits, fixed once made)"),
                       validators=[Optional(), Length(max=32)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[
        DataRequired(_l("Please give the Chinese name.")), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    region_id = SelectField(_l("Region"), coerce=str, validators=[
        DataRequired(_l("Choose a region."))])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=255)])
    latitude = CoordinateField(_l("Latitude"), limit=90, validators=[
        InputRequired(_l("This is not a place on the map."))])
    longitude = CoordinateField(_l("Longitude"), limit=180, validators=[
        InputRequired(_l("This is not a place on the map."))])
    hours_0 = StringField(WEEKDAYS[0], validators=[Optional(), Length(max=80)])
    hours_1 = StringField(WEEKDAYS[1], validators=[Optional(), Length(max=80)])
    hours_2 = StringField(WEEKDAYS[2], validators=[Optional(), Length(max=80)])
    hours_3 = StringField(WEEKDAYS[3], validators=[Optional(), Length(max=80)])
    hours_4 = StringField(WEEKDAYS[4], validators=[Optional(), Length(max=80)])
    hours_5 = StringField(WEEKDAYS[5], validators=[Optional(), Length(max=80)])
    hours_6 = StringField(WEEKDAYS[6], validators=[Optional(), Length(max=80)])

    def validate(self, extra_validators: Any = None) -> bool:
        """The field checks, then the service's own checks of each day's hours and the
        phone, so that every mistake shows at once beside its field."""
        valid = super().validate(extra_validators)
        checks = [(f"hours_{day}", place_checks.day_hours) for day in range(7)]
        if "phone" in self._fields:
            checks.append(("phone", place_checks.phone))
        for name, check in checks:
            field = self._fields[name]
            try:
                check(field.data, name)
            except InvalidInput as error:
                field.errors = [*field.errors, error.message()]
                valid = False
        return valid

    def hours_fields(self) -> list[Any]:
        return [getattr(self, f"hours_{day}") for day in range(7)]

    def values(self) -> dict[str, Any]:
        values = {name: field.data for name, field in self._fields.items()
                  if name not in ("csrf_token", "version")}
        raw = values.get("region_id") or ""
        values["region_id"] = int(raw) if str(raw).isdigit() and len(str(raw)) < 10 else None
        return values


class StudioForm(PlaceForm):
    phone = StringField(_l("Public phone"), validators=[Optional(), Length(max=32)])
    service_radius_km = RadiusField(_l("Serves within (km of the studio)"), validators=[
        InputRequired(_l("Between 0.1 and 50 km."))])


class ServicePointForm(PlaceForm):
    kind = SelectField(_l("Kind"), choices=[
        SelectChoice(k.value, v) for k, v in SERVICE_POINT_LABELS.items()],
        validators=[DataRequired(_l("Choose a kind."))])
    open_24h = BooleanField(_l("Open round the clock"))


class ActiveForm(FlaskForm):
    """Retire or bring back: the version the page showed."""

    version = BoundedIntegerField(widget=HiddenInput(), validators=[InputRequired()])


class ReplyTemplateForm(FlaskForm):
    version = BoundedIntegerField(widget=HiddenInput(), validators=[InputRequired()])
    code = StringField(_l("Code (letters and digits, fixed once made)"),
                       validators=[Optional(), Length(max=32)])
    label_zh = StringField(_l("Name (Chinese)"), validators=[
        DataRequired(_l("Please give the Chinese name.")), Length(max=60)])
    label_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    text_zh = TextAreaField(_l("Text (Chinese)"), validators=[
        DataRequired(_l("Please write the Chinese text.")), Length(max=2000)])
    text_en = TextAreaField(_l("Text (English)"), validators=[Optional(), Length(max=2000)])
    sort_order = BoundedIntegerField(_l("Order in the list"), maximum=10_000, validators=[
        InputRequired(_l("Not a valid whole number."))])
    shared = BooleanField(_l("For every studio (administrators)"))
    active = BooleanField(_l("Offered on the case page (untick to retire it)"))
