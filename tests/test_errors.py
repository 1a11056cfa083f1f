"""The one error type (dmlvae.errors): each message names the bad value and what is allowed, on one line."""

import math

import pytest

from dmlvae import DmlvaeError, MissingRuns
from dmlvae.errors import choice, number


def test_choice_names_the_parameter_the_value_and_every_allowed_one():
    assert choice("loss", "triplet", ["triplet", "supcon"]) == "triplet"
    with pytest.raises(DmlvaeError) as e:
        choice("loss", "tripplet", ["triplet", "supcon"])
    assert str(e.value) == "unknown loss 'tripplet'; allowed: triplet, supcon"
    with pytest.raises(DmlvaeError, match="unknown loss 3"):
        choice("loss", 3, ["3"])  # only the string itself


@pytest.mark.parametrize(
    "value,kw,ok",
    [
        ("0.5", {"low": 0, "high": 1}, 0.5),
        (0, {"low": 0, "high": 1, "low_open": True}, None),
        (1, {"low": 0, "high": 1, "high_open": True}, None),
        (2.0, {"low": 0, "integer": True}, 2),
        (2.5, {"low": 0, "integer": True}, None),
        (True, {}, None),
        (None, {}, None),
        ("nan", {}, None),
        (math.inf, {}, None),
        ("x", {}, None),
    ],
)
def test_number_accepts_what_lies_in_its_interval_and_names_it_otherwise(value, kw, ok):
    if ok is not None:
        assert number("alpha", value, **kw) == ok
        return
    with pytest.raises(DmlvaeError) as e:
        number("alpha", value, **kw)
    msg = str(e.value)
    assert msg.startswith("alpha must be") and msg.endswith(f"got {value!r}") and "\n" not in msg


def test_the_interval_is_written_with_its_open_and_closed_ends():
    with pytest.raises(DmlvaeError, match=r"lr must be a number in \(0, 1\]"):
        number("lr", 0, low=0, high=1, low_open=True)


def test_missing_runs_is_a_dmlvae_error_and_a_value_error():
    assert issubclass(MissingRuns, DmlvaeError) and issubclass(DmlvaeError, ValueError)
