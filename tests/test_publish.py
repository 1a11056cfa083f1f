"""`make publish` on a local bare repository: the built book lands on gh-pages, and the offline archive holds it."""
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("ghp_import")


def git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin", "HOME": str(cwd)})


def test_publish_to_a_bare_repository_and_archive(tmp_path):
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
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "publish.py")], cwd=work, capture_output=True,
                         text=True, env={**__import__("os").environ, "GIT_AUTHOR_NAME": "t",
                                         "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
                                         "GIT_COMMITTER_EMAIL": "t@example.invalid"})
    assert out.returncode == 0, out.stderr
    assert "pushed to origin/gh-pages" in out.stdout
    files = subprocess.run(["git", "ls-tree", "--name-only", "gh-pages"], cwd=bare, capture_output=True,
                           text=True, check=True).stdout.split()
    assert {"index.html", "page.html", ".nojekyll"} <= set(files)
    with tarfile.open(work / "_build" / "dmlvae-book-html.tar.gz") as tar:
        assert "dmlvae-book/index.html" in tar.getnames()


def test_publish_without_a_built_book_says_what_to_do(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "publish.py"), "--html", str(tmp_path / "none")],
                         cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 2 and "make book" in out.stderr
