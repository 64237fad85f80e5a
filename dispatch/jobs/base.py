"""The ``@job`` decorator every RQ entry point wears.

Each job runs inside an app context: the one ``worker.py`` pushes around every job (and
removes with its session afterwards), or in tests the test app's. A job started with no
app context (a plain ``rq worker`` instead of ``worker.py``) fails at once and says why,
rather than running against a database it guessed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import has_app_context

P = ParamSpec("P")
R = TypeVar("R")


def job(func_: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func_)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not has_app_context():
            raise RuntimeError(f"{func_.__qualname__} needs an app context: run the jobs "
                               "with `python worker.py`, which gives each job one.")
        return func_(*args, **kwargs)

    return wrapper
