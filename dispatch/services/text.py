"""Text that every area keeps clean of what cannot travel: the characters XML 1.0 forbids;
and lists of words joined the way the reader's language joins them.

An XLSX cell is XML, and XML 1.0 allows no C0 control other than tab, newline and carriage
return, no lone surrogate (U+D800–U+DFFF) and neither U+FFFE nor U+FFFF. One such character
in one resident's description would make every workbook that holds it unreadable. They
mean nothing in a report, so they are dropped where a case's text enters
(``cases/lifecycle.py:register``) and again in every cell an export writes (older rows, notes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import get_locale

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (everything else kept)."""
    return _XML_ILLEGAL.sub("", text)


def listing(items: Iterable[object]) -> str:
    """Words in a row as the reader's language writes them: 甲、乙 in Chinese, a, b in English."""
    locale = get_locale()
    separator = "、" if locale is None or locale.language == "zh" else ", "
    return separator.join(str(item) for item in items)
