"""What the residents' pages say for each kind of report: a hazard is reported as a
problem, a micro-wish is posted as a wish. One table, so no page mixes the two."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

WORDS: dict[str, dict[str, object]] = {
    "hazard": {
        "heading": _l("Report a problem"),
        "description": _l("What is the problem?"),
        "placeholder": _l("What is wrong, since when, who is at risk"),
        "describe": _l("Please describe the problem."),
        "submit": _l("Submit report"),
        "similar": _l("Others have reported something similar within %(m)d metres. If it is "
                      "the same, add your voice instead of filing a new case."),
        "thanks": _l("Thank you, your report is registered."),
        "me_too": _l("You have the same problem? Add your voice"),
        "switch": _l("It is a micro-wish instead"),
        "hear": _l("to hear when it is fixed"),
    },
    "wish": {
        "heading": _l("Post a micro-wish"),
        "description": _l("What would you like help with?"),
        "placeholder": _l("What you need, when it suits you, anything volunteers should know"),
        "describe": _l("Please say what you would like help with."),
        "submit": _l("Post the wish"),
        "similar": _l("Neighbours have posted a similar wish within %(m)d metres. If it is "
                      "the same, add your voice instead of posting a new one."),
        "thanks": _l("Thank you, your micro-wish is posted."),
        "me_too": _l("You would like this too? Add your voice"),
        "switch": _l("It is a hazard instead"),
        "hear": _l("to hear when it comes true"),
    },
}


def words_for(kind: object) -> dict[str, object]:
    """The words of ``kind`` ("hazard", "wish"; an inspection finding reads as a hazard)."""
    value = getattr(kind, "value", kind)
    return WORDS["wish"] if value == "wish" else WORDS["hazard"]
