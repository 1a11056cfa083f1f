"""One error type for bad user input, raised the same way through the API, the CLI and papermill."""

from __future__ import annotations

import math
from typing import Iterable


class DmlvaeError(ValueError):
    """A user-facing error: the message names the bad value and what is allowed."""


class MissingRuns(DmlvaeError):
    """Runs a page or sweep needs are not in the results file, and DMLVAE_NO_TRAIN forbids training them."""


def choice(name: str, value, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``; else raise naming the parameter and the options."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise DmlvaeError(f"unknown {name} {value!r}; allowed: {', '.join(allowed)}")
    return value


def number(
    name: str, value, *, low=None, high=None, low_open=False, high_open=False, integer=False, meaning: str = ""
) -> float | int:
    """Validate a real number (or int with ``integer=True``) in an interval; raise naming the parameter.

    Numeric strings are accepted (papermill and command lines pass strings); booleans, NaN and
    anything else are rejected.
    """
    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    interval = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
    kind = "an integer" if integer else "a number"
    what = f"{name} must be {kind} in {interval}" + (f" ({meaning})" if meaning else "")
    if isinstance(value, bool) or value is None:
        raise DmlvaeError(f"{what}; got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise DmlvaeError(f"{what}; got {value!r}") from None
    if math.isnan(x) or math.isinf(x):
        raise DmlvaeError(f"{what}; got {value!r}")
    if integer:
        if x != int(x):
            raise DmlvaeError(f"{what}; got {value!r}")
        x = int(x)
    bad = (low is not None and (x < low or (low_open and x == low))) or (
        high is not None and (x > high or (high_open and x == high))
    )
    if bad:
        raise DmlvaeError(f"{what}; got {value!r}")
    return x


class DivergedError(RuntimeError):
    """The loss became NaN, infinite or exploded, or the embeddings ran off; the message says where."""
