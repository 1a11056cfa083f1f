"""tools/system_deps.sh, which `make test` and `make book` run first: silent when the Debian packages are there;
otherwise it installs them as root, or stops at once with the one command to run."""
import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "system_deps.sh"


def fake_bin(tmp_path, have=()):
    """A PATH whose dpkg knows only the packages in ``have``, and whose apt-get records its arguments."""
    b = tmp_path / "bin"
    b.mkdir()
    (b / "dpkg").write_text("#!/bin/sh\ncase \" %s \" in *\" $2 \"*) exit 0;; esac\nexit 1\n" % " ".join(have))
    (b / "apt-get").write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path}/apt.log\n")
    (b / "npm").write_text("#!/bin/sh\n")
    for f in b.iterdir():
        f.chmod(0o755)
    return {**os.environ, "PATH": f"{b}:/usr/bin:/bin"}


def test_missing_packages_without_apt_give_one_command(tmp_path):
    env = {**fake_bin(tmp_path, have=("chromium",)), "DMLVAE_NO_APT": "1"}
    out = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env)
    assert out.returncode == 1 and out.stdout == ""
    assert "missing system packages: dataset-fashion-mnist chromium-driver" in out.stderr
    assert "apt-get install -y --no-install-recommends dataset-fashion-mnist chromium-driver" in out.stderr
    assert not (tmp_path / "apt.log").exists()


def test_missing_packages_are_installed_as_root(tmp_path):
    if os.geteuid() != 0:
        import pytest
        pytest.skip("installing needs root")
    out = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=fake_bin(tmp_path))
    assert out.returncode == 0, out.stderr
    log = (tmp_path / "apt.log").read_text().splitlines()
    assert log[0].startswith("update") and log[1].endswith("dataset-fashion-mnist chromium chromium-driver")


def test_nothing_to_do_is_silent(tmp_path):
    env = fake_bin(tmp_path, have=("dataset-fashion-mnist", "chromium", "chromium-driver"))
    out = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and out.stdout == out.stderr == ""
