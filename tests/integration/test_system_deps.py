"""tools/system_deps.sh, which `make test` and `make book` run first: silent when the Debian packages are there;
otherwise it installs them as root, or stops at once with the one command to run."""

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "system_deps.sh"


def fake_bin(tmp_path, have=()):
    """A PATH whose dpkg knows only the packages in ``have``, and whose apt-get records its arguments."""
    b = tmp_path / "bin"
    b.mkdir()
    (b / "dpkg").write_text('#!/bin/sh\ncase " %s " in *" $2 "*) exit 0;; esac\nexit 1\n' % " ".join(have))
    (b / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/apt.log\n')
    (b / "npm").write_text("#!/bin/sh\n")
    for f in b.iterdir():
        f.chmod(0o755)
    return {**os.environ, "PATH": f"{b}:/usr/bin:/bin"}


def strict_off(env):
    return {k: v for k, v in env.items() if k not in ("CI", "DMLVAE_STRICT")}


def test_missing_packages_without_apt_under_ci_give_one_command_and_fail(tmp_path):
    env = {**fake_bin(tmp_path, have=("chromium",)), "DMLVAE_NO_APT": "1", "CI": "true"}
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


def test_a_machine_without_apt_dpkg_or_root_goes_on_with_one_note(tmp_path):
    """A laptop: no dpkg, no apt-get, not root (DMLVAE_NO_APT stands in for that where the tests run as root)."""
    b = tmp_path / "bin"
    b.mkdir()
    for tool in ("bash", "id", "env"):  # only what the script itself needs
        (b / tool).symlink_to(subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip())
    env = strict_off({**os.environ, "PATH": str(b), "DMLVAE_NO_APT": "1"})
    out = subprocess.run([str(b / "bash"), str(SCRIPT)], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    note = out.stderr.strip()
    assert len(note.splitlines()) == 1 and note.startswith("dmlvae: note:")
    assert "dataset-fashion-mnist chromium chromium-driver" in note and "not checked in a browser" in note


def test_the_browser_check_is_skipped_with_one_line_without_chromium_unless_strict(tmp_path, monkeypatch, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_pages", SCRIPT.parent / "check_pages.py")
    check_pages = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_pages)
    monkeypatch.setattr(check_pages, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setattr(check_pages.shutil, "which", lambda name: None)
    for k in ("CI", "DMLVAE_STRICT"):
        monkeypatch.delenv(k, raising=False)
    assert check_pages.main(["--html", str(tmp_path)]) == 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "browser check skipped" in err and "apt-get install chromium" in err
    monkeypatch.setenv("CI", "true")
    assert check_pages.main(["--html", str(tmp_path)]) == 1


def test_mathjax_is_only_extracted_from_the_published_tarball(tmp_path):
    import importlib.util

    import pytest

    spec = importlib.util.spec_from_file_location("fetch_mathjax", SCRIPT.parent / "fetch_mathjax.py")
    fm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fm)
    with pytest.raises(SystemExit, match="sha512 .* expected"):
        fm.extract(b"not the tarball", tmp_path / "mathjax")
    assert not (tmp_path / "mathjax").exists()
    (tmp_path / "have" / "tex-mml-chtml.js").parent.mkdir()
    (tmp_path / "have" / "tex-mml-chtml.js").write_text("x")
    assert fm.main(["--dest", str(tmp_path / "have")]) == 0  # present: nothing downloaded
