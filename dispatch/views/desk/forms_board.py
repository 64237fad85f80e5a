"""The dispatch board's filter: a GET form whose bad values are dropped, not an error page.

The board's map, its GeoJSON and its list all read the same query string through this form,
so they always show the same cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from dispatch.models import OPEN_STATUSES, CaseKind, CaseStatus, Category, Region, Studio
from dispatch.services.cases.queries import CaseFilter

ALL_STUDIOS = "all"


class BoardFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    region = SelectField(_l("Region"), validators=[Optional()])
    studio = SelectField(_l("Studio"), validators=[Optional()])
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
            status=CaseStatus(self.status.data) if self._valid(self.status) else None,
            kind=CaseKind(self.kind.data) if self._valid(self.kind) else None,
            category_id=int(self.category.data) if self._valid(self.category) else None,
            region_id=int(self.region.data) if self._valid(self.region) else None,
            studio_id=(int(self.studio.data) if self.studio.data and
                       self.studio.data != ALL_STUDIOS else None),
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
