"""How the audit log names what changed: the settings' field names in the reader's words
(the same labels as on the forms, where there is one), the raw name for anything else."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FIELD_LABELS = {
    "name_zh": _l("Name (Chinese)"), "name_en": _l("Name (English)"),
    "label_zh": _l("Name (Chinese)"), "label_en": _l("Name (English)"),
    "text_zh": _l("Text (Chinese)"), "text_en": _l("Text (English)"),
    "icon": _l("Icon"), "skills": _l("Skills"), "kind": _l("Kind"), "code": _l("Code"),
    "receive_hours": _l("To receive"), "handle_hours": _l("To handle"),
    "reply_hours": _l("To reply"), "clock_unit": _l("The clocks count"),
    "claimable": _l("Claimable"), "claim_hours": _l("A claim lasts (hours)"),
    "active": _l("Active"), "region_id": _l("Region"), "studio_id": _l("Studio"),
    "address": _l("Address"), "phone": _l("Phone"), "latitude": _l("Latitude"),
    "longitude": _l("Longitude"), "opening_hours": _l("Opening hours"),
    "open_24h": _l("Open round the clock"),
    "service_radius_km": _l("Serves within (km of the studio)"),
    "sort_order": _l("Order in the list"), "display_name": _l("Name"),
    "username": _l("Username"), "role": _l("Role"), "is_studio_lead": _l("Studio lead"),
    "captain_id": _l("Captain"),
}


def audit_field(name: str) -> str:
    label = FIELD_LABELS.get(name)
    return str(label) if label is not None else name
