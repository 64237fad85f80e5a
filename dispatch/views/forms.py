"""WTForms for the staff pages. Every message is wrapped for translation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    FloatField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from dispatch.services.errors import InvalidInput


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Please enter your username.")), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Please enter your password.")), Length(max=200)])
    next = HiddenField()


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class ActionForm(FlaskForm):
    """Base of every case action: carries the version the page was rendered at, so a
    stale page is refused with a conflict instead of overwriting someone else's step."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class RequiredNoteForm(ActionForm):
    note = TextAreaField(_l("Note"), validators=[
        DataRequired(_l("This field is required.")), Length(max=2000)])


class CheckInForm(ActionForm):
    """到场签到: the phone's position, when it shares it (filled in by a small script)."""

    latitude = FloatField(widget=HiddenInput(), validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(widget=HiddenInput(),
                           validators=[Optional(), NumberRange(-180, 180)])


class FinishForm(RequiredNoteForm):
    photos = MultipleFileField(_l("After photos (up to 3)"))


class AssignForm(ActionForm):
    # The dropdown lists the nearest; a suggestion may post anyone, and the lifecycle
    # service checks that the team or volunteer exists and is active.
    assignee = SelectField(_l("Team or volunteer"), validators=[
        DataRequired(_l("Choose a team or a volunteer.")), Length(max=20)],
        validate_choice=False)


class ReplyForm(ActionForm):
    template = SelectField(_l("Start from a ready reply"), validators=[Optional()],
                           validate_choice=False)
    text = TextAreaField(_l("Reply to the resident"), validators=[Length(max=4000)])

    def validate_text(self, field: TextAreaField) -> None:
        if not (field.data or "").strip() and not self.template.data:
            raise ValidationError(_l("Please write the reply to the resident."))


class EscalateForm(ActionForm):
    note = TextAreaField(_l("Why the lead should look at it"), validators=[
        DataRequired(_l("This field is required.")), Length(max=2000)])


class ModerateTextForm(ActionForm):
    field = SelectField(_l("Text"), choices=[
        SelectChoice("title", _l("Title")), SelectChoice("description", _l("Description")),
        SelectChoice("feedback_comment", _l("Resident's comment"))],
        validators=[DataRequired()])
    replacement = TextAreaField(_l("Text to show instead (empty: hide it)"),
                                validators=[Optional(), Length(max=2000)])


class PhotoVisibilityForm(ActionForm):
    hidden = HiddenField(validators=[DataRequired(), AnyOf(["1", "0"])])


class FeedbackForm(ActionForm):
    satisfied = RadioField(_l("Is the resident satisfied?"),
                           choices=[SelectChoice("yes", _l("Satisfied")),
                                    SelectChoice("no", _l("Not satisfied"))],
                           validators=[DataRequired(_l("Please choose one."))])
    rating = SelectField(_l("Rating"), choices=[SelectChoice(str(n)) for n in range(5, 0, -1)],
                         validators=[DataRequired()])
    fixed = BooleanField(_l("Is it really fixed?"))
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class DuplicateForm(ActionForm):
    original = StringField(_l("Tracking code of the original case"), validators=[
        DataRequired(_l("Enter the tracking code of the case this one repeats.")),
        Length(max=16)])


class NotOursForm(ActionForm):
    reason = TextAreaField(_l("Reason (shown to the resident)"), validators=[
        DataRequired(_l("Please give the reason, for the resident.")), Length(max=255)])


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Internal note"), validators=[
        DataRequired(_l("The note is empty.")), Length(max=2000)])


class StatusFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    overdue = BooleanField(_l("Overdue only"))
    q = StringField(_l("Search"), validators=[Optional(), Length(max=60)])


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "receive": ActionForm,
    "assign": AssignForm,
    "reassign": AssignForm,
    "accept": ActionForm,
    "decline": RequiredNoteForm,
    "arrive": CheckInForm,
    "finish": FinishForm,
    "claim": ActionForm,
    "release": RequiredNoteForm,
    "check_work": ActionForm,
    "return_work": RequiredNoteForm,
    "reply": ReplyForm,
    "give_feedback": FeedbackForm,
    "reopen": RequiredNoteForm,
    "archive": ActionForm,
    "mark_duplicate": DuplicateForm,
    "mark_not_ours": NotOursForm,
}


# --- residents -----------------------------------------------------------------------------

class ReportPlaceForm(FlaskForm):
    """Step 1, by GET: what kind of problem and where. Changes nothing, so no CSRF."""

    class Meta:
        csrf = False

    kind = RadioField(_l("What is it?"), choices=[
        SelectChoice("hazard", _l("A hazard")), SelectChoice("wish", _l("A micro-wish"))],
        default="hazard", validators=[DataRequired(_l("Please choose one."))])
    category = RadioField(_l("Category"),
                          validators=[DataRequired(_l("Please choose a category."))])
    lat = FloatField(widget=HiddenInput(), validators=[
        InputRequired(_l("Tap the map to mark the place, or search for it.")),
        NumberRange(-90, 90)])
    lon = FloatField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(-180, 180)])
    crs = HiddenField(default="display")  # "display": picked on the map; "wgs84": from GPS
    address = StringField(_l("Address or landmark (optional)"),
                          validators=[Optional(), Length(max=255)])


class ReportDetailsForm(FlaskForm):
    """Step 2, by POST: the description, photos and (optional) contact."""

    kind = HiddenField(validators=[DataRequired()])
    category = HiddenField(validators=[DataRequired()])
    lat = FloatField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(-90, 90)])
    lon = FloatField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(-180, 180)])
    address = HiddenField(validators=[Optional(), Length(max=255)])
    submission_token = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])
    description = TextAreaField(_l("What is the problem?"), validators=[
        DataRequired(_l("Please describe the problem.")), Length(max=2000)])
    photos = MultipleFileField(_l("Photos (up to 3)"))
    name = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=60)])
    phone = StringField(_l("Your phone (optional)"), validators=[Optional(), Length(max=30)])
    wants_updates = BooleanField(_l("Send me updates by text message"))


class SupportForm(FlaskForm):
    submission_token = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])
    phone = StringField(_l("Your phone (optional)"), validators=[Optional(), Length(max=30)])


class ResidentFeedbackForm(FeedbackForm):
    """The resident's verdict on the case's public page."""


# --- volunteers, captains, rosters ---------------------------------------------------------

class ShareOutForm(FlaskForm):
    member = SelectField(_l("Share out to"), validators=[
        DataRequired(_l("Choose a member of this team."))])


class AvailabilityForm(FlaskForm):
    on_duty = BooleanField(_l("I am on duty and can take work"))
    skills = SelectMultipleField(_l("My skills"), widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput(), validate_choice=True)


class RosterAddForm(FlaskForm):
    username = StringField(_l("Username of the volunteer to add"), validators=[
        DataRequired(_l("Please enter a username.")), Length(max=64)])


class RosterRemoveForm(FlaskForm):
    user_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class WebhookForm(FlaskForm):
    kind = SelectField(_l("Group chat"), choices=[
        SelectChoice("wecom", _l("WeCom")), SelectChoice("dingtalk", _l("DingTalk")),
        SelectChoice("feishu", _l("Feishu"))], validators=[DataRequired()])
    url = StringField(_l("Robot webhook address"), validators=[
        Optional(), Length(max=500),
        URL(require_tld=False, message=_l("This is not a valid web address."))])


class NotificationSettingsForm(FlaskForm):
    email = StringField(_l("Email address"), validators=[
        Optional(), Length(max=254),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("This is not a valid email address."))])
    notify_by_email = BooleanField(_l("Also send my notifications by email"))
    language = SelectField(_l("Language of my notifications"), choices=[
        SelectChoice("zh", "简体中文"), SelectChoice("en", "English")])


def show_error(form: FlaskForm, error: InvalidInput, fallback: Field,
               aliases: dict[str, str] | None = None) -> None:
    """Show a service's input error beside the field it names (``aliases`` maps a service's
    name for a field to the form's), else beside ``fallback``; what was typed stays."""
    name = (aliases or {}).get(error.field, error.field)
    field = getattr(form, name, None)
    if not isinstance(field, Field):
        field = fallback
    field.errors = [*field.errors, error.message()]
