"""Every string on screen has its Simplified Chinese translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).parent.parent


def test_every_extracted_string_is_translated_to_chinese(tmp_path: Path) -> None:
    template = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "-o",
                    str(template), "--no-location", "--omit-header", str(ROOT)],
                   check=True, capture_output=True, cwd=ROOT)
    with template.open("rb") as handle:
        wanted = {message.id for message in read_po(handle) if message.id}
    with (ROOT / "dispatch/translations/zh/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(str(m) for m in wanted - translated)
    assert not missing, f"untranslated (run `make messages`, then translate): {missing}"
