"""The forms of the desk at a glance: the bulk step under the case list."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from dispatch.models import Team
from dispatch.views.params import strip


class BulkForm(FlaskForm):
    """The ticked cases come as ``case`` values (``"<id>:<version>"``), read by the bulk
    service; which step is the pressed button's ``action``. The assignee may be any team
    or volunteer key (the service checks it exists): the list offers the active teams."""

    assignee = SelectField(_l("Assign the ticked cases to"), validators=[Optional()],
                           filters=[strip], validate_choice=False)
    note = StringField(_l("Note for the ledger (optional)"), validators=[
        Optional(), Length(max=500)])

    def fill_choices(self, teams: Iterable[Team]) -> None:
        self.assignee.choices = [SelectChoice("", _l("— choose a team —"))] + [
            SelectChoice(f"team:{team.id}", team.name) for team in teams]
