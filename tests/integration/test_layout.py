"""The package's layout holds (README, "Layout"): import-linter's contracts, function-level imports only for a heavy
optional dependency, a test file per module, and functions that do one job."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dmlvae"
# the heavy optional dependencies a function may import on first use, with a comment saying so
HEAVY = {"ray", "graphlearning", "plotly", "umap", "medmnist"}
# the CLI imports each subcommand's modules when it runs (nothing imports it, so no circle can hide there)
ON_USE = {"dmlvae/cli.py": "imported on use"}
MAX_LINES = 60
# functions over MAX_LINES that are declarative tables (none today)
LONG: set = set()


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name not in ("__init__.py", "__main__.py"))


def test_import_linters_contracts_are_kept():
    """No upward import between the layers, nothing of the package in errors and version, no import circle."""
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and "3 kept, 0 broken" in out.stdout, out.stdout[-3000:]


def test_a_function_imports_only_a_heavy_optional_dependency_and_says_so():
    bad = []
    for p in _modules():
        lines = p.read_text().splitlines()
        functions = [f for f in ast.walk(ast.parse(p.read_text())) if isinstance(f, ast.FunctionDef)]
        for node in {n for f in functions for n in ast.walk(f)}:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                name = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                commented = "heavy optional dependency" in lines[node.lineno - 1]
                heavy = (name or "").split(".")[0] in HEAVY and commented
                on_use = str(p.relative_to(ROOT)) in ON_USE and any(
                    ON_USE[str(p.relative_to(ROOT))] in line for line in lines[max(0, node.lineno - 8) : node.lineno]
                )
                if not (heavy or on_use):
                    bad.append(f"{p.relative_to(ROOT)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not bad, bad


def test_every_module_has_its_own_test_file():
    """dmlvae/core/losses.py is tested by tests/core/test_losses.py; the top (cli, errors, version) by tests/."""
    missing = []
    for p in _modules():
        rel = p.relative_to(PACKAGE)
        test = ROOT / "tests" / rel.parent / f"test_{rel.stem}.py"
        if not test.exists():
            missing.append(str(test.relative_to(ROOT)))
    assert not missing, missing


def test_no_function_runs_over_sixty_lines():
    long = set()
    for p in _modules():
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.end_lineno - node.lineno + 1 > MAX_LINES:
                    long.add(f"{p.relative_to(ROOT)}:{node.name}")
    assert long <= LONG, sorted(long - LONG)


def test_page_back_ends_return_what_the_page_shows_and_display_nothing():
    """Only the Page displays (Page.show, Page.say): a back-end neither imports IPython's display nor calls .show()."""
    bad = []
    for p in sorted((PACKAGE / "pages").glob("*.py")):
        if p.name in ("page.py", "__init__.py"):
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "IPython.display":
                bad += [f"{p.name}:{node.lineno}: imports {a.name}" for a in node.names if a.name == "display"]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "show":
                bad.append(f"{p.name}:{node.lineno}: calls .show()")
    assert not bad, bad
