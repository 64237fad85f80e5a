"""Batch import of inspection findings (seed 004: a road self-inspection found 25 problems).
Imported findings are received at once: they are the studio's own, published on the task
list for volunteers to claim (领题解题), with the handling clock running.

An upload is read into rows by ``import_files`` (formats, columns, the file's limits) and
checked here row by row; the rows and their verdicts are kept in an ``ImportBatch`` for the
preview. Importing turns the selected good rows into cases of kind inspection in the caller's
one transaction; the batch is marked imported by a conditional UPDATE, so it is imported
once. Errors are stored as codes with parameters and worded when shown, in the reader's
language. Functions flush; the caller commits (or rolls back after an error).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, BinaryIO

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from dispatch.extensions import db
from dispatch.geo.distance import nearest, quick_distance_m
from dispatch.models import (
    Case,
    CaseKind,
    Category,
    IntakeChannel,
    Region,
    Studio,
    User,
    utcnow,
)
from dispatch.models.desk import ImportBatch
from dispatch.services.cases import lifecycle, notifications
from dispatch.services.errors import InvalidInput
from dispatch.services.intake.import_files import COLUMNS, read_rows
from dispatch.services.permissions import Actor


def create_batch(upload: BinaryIO, file_name: str, user: User) -> tuple[ImportBatch, list[str]]:
    """Read and check the file; keep the rows with their verdicts for the preview."""
    rows, ignored = read_rows(upload)
    batch = ImportBatch(uploaded_by_id=user.id, file_name=(file_name or "upload")[:255],
                        rows=check_rows(rows))
    db.session.add(batch)
    db.session.flush()
    return batch, ignored


# --- checking the rows ---------------------------------------------------------------------

LIMITS = {"ref": 64, "title": 120, "description": 2000, "address": 255}


def column_header(field: str) -> str:
    """A column's header as the sample file of the reader's language writes it."""
    english, chinese = COLUMNS[field][0], COLUMNS[field][1]
    locale = get_locale()
    return chinese if locale is None or locale.language == "zh" else english


def describe(error: list[Any]) -> str:
    """A stored error (code, parameters) in the reader's language."""
    code, params = error[0], dict(error[1]) if len(error) > 1 else {}
    if "field" in params:  # the column's header in the reader's language
        params["column"] = column_header(params["field"])
    messages = {
        "title_missing": lambda: _("The title is missing."),
        "too_long": lambda: _("%(column)s is longer than %(n)d characters.", **params),
        "category_missing": lambda: _("The category is missing."),
        "category_unknown": lambda: _("Unknown category “%(value)s”.", **params),
        "not_number": lambda: _("%(column)s “%(value)s” is not a number.", **params),
        "off_map": lambda: _("The coordinates are not on the map (latitude −90 to 90, "
                             "longitude −180 to 180)."),
        "swapped": lambda: _("Latitude and longitude look swapped."),
        "outside_area": lambda: _("This place is outside the area our studios serve "
                                  "(more than %(km)d km from every region).", **params),
        "studio_unknown": lambda: _("Unknown studio code “%(value)s”.", **params),
        "ref_twice": lambda: _("The reference %(ref)s is also on line %(line)d.", **params),
        "ref_exists": lambda: _("The reference %(ref)s was already imported.", **params),
    }
    return messages[code]() if code in messages else str(code)


def _number(row: dict[str, Any], field: str, errors: list[list[Any]]) -> float | None:
    text = row.get(field, "").replace("，", ".").replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):  # nan, inf, 1e400: JSON (and PostgreSQL) store none
        errors.append(["not_number", {"field": field, "value": text[:20]}])
        return None
    return number


def _existing_refs(refs: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(refs), 500):
        found.update(ref for ref in db.session.scalars(select(Case.external_ref).where(
            Case.external_ref.in_(refs[start:start + 500]))) if ref)
    return found


def _in_area(latitude: float, longitude: float, regions: list[Region]) -> bool:
    limit_m = current_app.config["SERVICE_RADIUS_KM"] * 1000
    return any(quick_distance_m(latitude, longitude, r.latitude, r.longitude) <= limit_m
               for r in regions)


def _check_place(row: dict[str, Any], errors: list[list[Any]],
                 regions: list[Region]) -> None:
    row["coords_text"] = f"{row['latitude']}, {row['longitude']}"[:60]  # as typed
    latitude, longitude = _number(row, "latitude", errors), _number(row, "longitude", errors)
    row["latitude"], row["longitude"] = latitude, longitude
    if latitude is None or longitude is None:
        return
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        errors.append(["swapped"] if -90 <= longitude <= 90 and -180 <= latitude <= 180
                      else ["off_map"])
    elif not _in_area(latitude, longitude, regions):
        swapped = -90 <= longitude <= 90 and _in_area(longitude, latitude, regions)
        errors.append(["swapped"] if swapped else
                      ["outside_area", {"km": int(current_app.config["SERVICE_RADIUS_KM"])}])


def check_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row with its values cleaned up and its list of errors (empty: importable)."""
    categories: dict[str, Category] = {}
    for category in db.session.scalars(select(Category).where(Category.active.is_(True))):
        for name in (category.code, category.name_zh, category.name_en):
            categories[name.strip().lower()] = category
    studios = {s.code.lower(): s for s in db.session.scalars(select(Studio))}
    regions = list(db.session.scalars(select(Region)))
    existing = _existing_refs([row["ref"] for row in rows if row.get("ref")])
    first_line: dict[str, int] = {}
    checked = []
    for raw in rows:
        row = {field: raw.get(field, "") for field in COLUMNS} | {"line": raw["line"]}
        errors: list[list[Any]] = []
        if not row["title"]:
            errors.append(["title_missing"])
        for field, limit in LIMITS.items():
            if len(row[field]) > limit:
                errors.append(["too_long", {"field": field, "n": limit}])
        category = categories.get(row["category"].lower())
        if not row["category"]:
            errors.append(["category_missing"])
        elif category is None:
            errors.append(["category_unknown", {"value": row["category"][:40]}])
        _check_place(row, errors, regions)
        studio = studios.get(row["studio"].lower()) if row["studio"] else None
        if row["studio"] and studio is None:
            errors.append(["studio_unknown", {"value": row["studio"][:40]}])
        if row["ref"] in existing:
            errors.append(["ref_exists", {"ref": row["ref"]}])
        elif row["ref"] in first_line:
            errors.append(["ref_twice", {"ref": row["ref"], "line": first_line[row["ref"]]}])
        elif row["ref"]:
            first_line[row["ref"]] = row["line"]
        row.update(category_id=category.id if category else None,
                   category_label=f"{category.icon} {category.name}" if category else "",
                   studio_id=studio.id if studio else None, errors=errors)
        checked.append(row)
    return checked


# --- importing -----------------------------------------------------------------------------

def bad_rows(batch: ImportBatch) -> list[dict[str, Any]]:
    return [row for row in batch.rows if row["errors"]]


def import_batch(batch: ImportBatch, selected: Iterable[int], user: User,
                 skip_bad: bool) -> list[Case]:
    """The selected good rows as inspection cases, all or none. Raises InvalidInput when
    the selection is not importable or a reference was imported meanwhile (the caller
    rolls back and may call ``recheck``)."""
    chosen = sorted(set(selected))
    by_index = dict(enumerate(batch.rows))
    if not chosen or any(index not in by_index for index in chosen):
        raise InvalidInput("rows", _("Tick at least one row to import."))
    wrong = [by_index[index]["line"] for index in chosen if by_index[index]["errors"]]
    if wrong:
        raise InvalidInput("rows", _(
            "Rows with errors cannot be imported (lines %(lines)s). Fix the file and upload "
            "it again, or leave those rows out.", lines=", ".join(map(str, wrong))))
    if bad_rows(batch) and not skip_bad:
        raise InvalidInput("skip_bad", _("Confirm that the %(n)d rows with errors are "
                                         "skipped.", n=len(bad_rows(batch))))
    now = utcnow()
    marked = db.session.execute(
        update(ImportBatch).where(ImportBatch.id == batch.id, ImportBatch.imported_at.is_(None))
        .values(imported_at=now, imported_count=len(chosen))
        .execution_options(synchronize_session=False))
    if marked.rowcount != 1:
        raise AlreadyImported()
    actor = Actor.of(user)
    studios = list(db.session.scalars(select(Studio)))
    categories = {c.id: c for c in db.session.scalars(select(Category))}
    created = []
    try:
        # The importing coordinator is told once, by the page; not once per finding.
        with notifications.quiet():
            for index in chosen:
                row = by_index[index]
                studio = next((s for s in studios if s.id == row.get("studio_id")), None) \
                    or nearest(studios, row["latitude"], row["longitude"])
                case = lifecycle.register(
                    kind=CaseKind.INSPECTION, title=row["title"],
                    description=row["description"] or row["title"],
                    latitude=row["latitude"], longitude=row["longitude"],
                    category=categories[row["category_id"]], address=row["address"],
                    studio=studio, external_ref=row["ref"] or None, actor=actor, at=now,
                    channel=IntakeChannel.PATROL)
                # The studio's own findings: taken in by the coordinator who imports them,
                # so they are published on the task list at once, on the handling clock.
                created.append(lifecycle.receive(case, actor, at=now))
    except IntegrityError as error:
        raise ImportConflict("rows", _(
            "Nothing was imported: a reference in this file was imported meanwhile by "
            "someone else. The rows concerned are now marked; import the others.")) from error
    db.session.refresh(batch)
    return created


class ImportConflict(InvalidInput):
    """Someone else imported one of the references between the preview and now."""

    http_status = 409


class AlreadyImported(InvalidInput):
    http_status = 409

    def __init__(self) -> None:
        super().__init__("rows", "")

    def message(self) -> str:
        return _("This file was already imported.")


def recheck(batch: ImportBatch) -> int:
    """After a failed import: mark the rows whose reference is now in the database.
    Returns how many rows were newly marked."""
    refs = [row["ref"] for row in batch.rows if row["ref"] and not row["errors"]]
    if not refs:
        return 0
    taken = _existing_refs(refs)
    rows, changed = [], 0
    for row in batch.rows:
        if row["ref"] and not row["errors"] and row["ref"] in taken:
            row = {**row, "errors": [["ref_exists", {"ref": row["ref"]}]]}
            changed += 1
        rows.append(row)
    batch.rows = rows
    db.session.flush()
    return changed
