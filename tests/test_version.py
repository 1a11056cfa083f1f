"""The versions (dmlvae.version): the package's is the one pyproject.toml ships; every row records the training
code's."""

import tomllib
from pathlib import Path

import fakes

import dmlvae
from dmlvae import version

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_version_is_pyprojects():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert dmlvae.__version__ == version.__version__ == project["version"]


def test_a_row_records_the_training_code_version():
    row = fakes.tiny_row()
    assert row["training_version"] == version.TRAINING_VERSION and isinstance(version.TRAINING_VERSION, int)
