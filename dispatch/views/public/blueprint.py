"""Residents' pages: no sign-in. Home, reporting, following a case, duty rota, results wall."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__)
