"""requirements*.txt and environment.yml must list the same pinned packages."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _pins(path):
    return {
        line.strip() for line in (ROOT / path).read_text().splitlines() if line.strip() and not line.startswith("#")
    }


def test_environment_yml_pip_list_equals_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1
    assert set(pip_lists[0]) == _pins("requirements.txt")


def test_environment_yml_names_the_no_deps_packages():
    text = (ROOT / "environment.yml").read_text()
    m = re.search(r"pip install --no-deps (.+)", text)
    assert m, "environment.yml must tell conda users which packages to install with --no-deps"
    assert {w for w in m.group(1).split() if not w.startswith("--")} == _pins("requirements-nodeps.txt")


def test_every_requirement_is_pinned_and_in_constraints():
    constraints = {p.split("==")[0].lower(): p for p in _pins("constraints.txt")}
    for pin in _pins("requirements.txt"):
        name, sep, version = pin.partition("==")
        assert sep and version, f"{pin} is not pinned with =="
        assert constraints.get(name.lower()) == pin, f"{pin} disagrees with constraints.txt"
