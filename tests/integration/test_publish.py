"""`make publish` on a local bare repository: the built book lands on gh-pages, and the offline archive holds it."""

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("ghp_import")


def git(*args, cwd):
    subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.invalid",
            "PATH": "/usr/bin:/bin",
            "HOME": str(cwd),
        },
    )


ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def branches(bare):
    return subprocess.run(["git", "branch", "--list"], cwd=bare, capture_output=True, text=True).stdout


@pytest.mark.parametrize("push", [False, True])
def test_publish_pushes_only_when_asked_and_names_the_target(tmp_path, push):
    bare, work = tmp_path / "bare.git", tmp_path / "work"
    git("init", "--bare", "-q", str(bare), cwd=tmp_path)
    work.mkdir()
    git("init", "-q", cwd=work)
    (work / "README.md").write_text("x")
    git("add", ".", cwd=work)
    git("commit", "-qm", "first", cwd=work)
    git("remote", "add", "origin", str(bare), cwd=work)
    html = work / "_build" / "html"
    html.mkdir(parents=True)
    (html / "index.html").write_text("<html>book</html>")
    (html / "page.html").write_text("<html>page</html>")
    if push:  # the printed edition, when made, is published with the pages; without it they go alone
        (work / "_build" / "dmlvae-book.pdf").write_bytes(b"%PDF-1.7 the book")
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "publish.py")] + (["--push"] if push else []),
        cwd=work,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **ENV},
    )
    assert out.returncode == 0, out.stderr
    assert f"remote origin ({bare}), branch gh-pages" in out.stdout
    with tarfile.open(work / "_build" / "dmlvae-book-html.tar.gz") as tar:
        assert "dmlvae-book/index.html" in tar.getnames()
    local = subprocess.run(
        ["git", "ls-tree", "--name-only", "gh-pages"], cwd=work, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "index.html" in local
    assert ("dmlvae-book.pdf" in local) == push
    with tarfile.open(work / "_build" / "dmlvae-book-html.tar.gz") as tar:
        assert ("dmlvae-book/dmlvae-book.pdf" in tar.getnames()) == push
    if not push:
        assert "nothing pushed" in out.stdout and "gh-pages" not in branches(bare)
        assert "no printed edition" in out.stdout
        return
    assert "force-pushing" in out.stdout
    files = subprocess.run(
        ["git", "ls-tree", "--name-only", "gh-pages"], cwd=bare, capture_output=True, text=True, check=True
    ).stdout.split()
    assert {"index.html", "page.html", ".nojekyll"} <= set(files)


def test_push_without_the_remote_is_refused_with_one_line(tmp_path):
    git("init", "-q", cwd=tmp_path)
    (tmp_path / "_build" / "html").mkdir(parents=True)
    (tmp_path / "_build" / "html" / "index.html").write_text("<html>book</html>")
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "publish.py"), "--push"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **ENV},
    )
    assert out.returncode == 2 and "no remote 'origin'" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_publish_without_a_built_book_says_what_to_do(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "publish.py"), "--html", str(tmp_path / "none")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "make book" in out.stderr
