"""Execute the book's notebooks: jupytext source -> papermill -> book/generated/NAME.ipynb.

    python tools/execute_notebooks.py [--profile P] [-p NAME VALUE ...] [--only NAME] [--force]

``--profile auto`` (what `make book` passes by default): each page that takes a profile shows the shipped
paper-scale results when they hold every run it shows, else the quick profile. Each such page is first executed
under ``paper`` with DMLVAE_NO_TRAIN=1, so a page that would train stops at once with MissingRuns, which names the
runs it lacks; the pages that succeed are built from `results/paper.jsonl` without training, the others are
executed under ``quick``, and the build lists which page got which profile. Any other error in the paper pre-run
fails the build (a broken page is not hidden behind the quick profile). Each page states its profile at its top.

A parameter is passed to the pages whose ``parameters`` cell declares it. A page whose source, parameters
and package code are unchanged since its last execution is not executed again. A failing page stops the
build with the notebook, the cell and the error, and its partial output is kept as NAME.failed.ipynb.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
import papermill
import yaml
from papermill.exceptions import PapermillExecutionError

ROOT = Path(__file__).resolve().parents[1]
SOURCES, OUT = ROOT / "notebooks", ROOT / "book" / "generated"
TIMES: Path | None = None  # --times FILE: each page's execution time is appended there (tools/timed.py reports it)


def _timed(label: str, seconds: float) -> None:
    print(f"[book] {label}: {seconds:.1f} s", flush=True)
    if TIMES is not None:
        TIMES.parent.mkdir(parents=True, exist_ok=True)
        with open(TIMES, "a") as f:
            f.write(f"page {label}\t{seconds:.2f}\n")


def package_fingerprint() -> str:
    """The package's code and data: a page is executed again when they change."""
    h = hashlib.sha256()
    for f in sorted((ROOT / "dmlvae").rglob("*")):
        if f.is_file() and f.suffix in {".py", ".csv", ".json"}:
            h.update(f.relative_to(ROOT).as_posix().encode() + f.read_bytes())
    return h.hexdigest()


def results_fingerprint(results: Path | None = None) -> str:
    """The results stores and saved latents the pages read (``results``, default results/): a page that reads
    stored runs (one with a ``profile`` parameter) is executed again when a sweep has stored new rows, not shown with
    the old ones."""
    h = hashlib.sha256()
    results = ROOT / "results" if results is None else Path(results)
    for f in sorted(results.rglob("*")) if results.is_dir() else ():
        if f.is_file() and f.suffix in {".jsonl", ".npz"}:
            h.update(f.relative_to(results).as_posix().encode() + f.read_bytes())
    return h.hexdigest()


def declared_parameters(nb) -> set[str]:
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            names = set()
            for line in cell.source.splitlines():
                name, sep, _ = line.partition("=")
                if sep and name.strip().isidentifier():
                    names.add(name.strip())
            return names
    raise SystemExit(f"{nb.metadata.get('dmlvae_source')}: no cell tagged 'parameters'")


def execute(
    source: Path, params: dict, force: bool, fingerprint: str, out: Path = OUT, raise_errors: bool = False
) -> bool:
    """Execute ``source`` into ``out``/NAME.ipynb; False (the error reported) if a cell fails, or with
    ``raise_errors`` the PapermillExecutionError raised to the caller, nothing reported and nothing kept."""
    nb = jupytext.read(source)
    nb.metadata["dmlvae_source"] = source.relative_to(ROOT).as_posix()
    declared = declared_parameters(nb)
    unknown = sorted(set(params) - declared - {"profile"})
    mine = {k: v for k, v in params.items() if k in declared}
    rows = results_fingerprint() if "profile" in declared else None  # pages that read stored runs
    key = hashlib.sha256(
        json.dumps([source.read_text(), mine, fingerprint, rows], sort_keys=True, default=str).encode()
    ).hexdigest()
    target = out / f"{source.stem}.ipynb"
    if not force and target.exists():
        old = nbformat.read(target, as_version=4).metadata.get("dmlvae", {})
        if old.get("cache_key") == key:
            print(f"[book] {source.name}: unchanged, not re-executed")
            return True
    if unknown:
        print(f"[book] {source.name}: ignores parameters it does not declare: {', '.join(unknown)}")
    print(f"[book] {source.name}: executing with {mine or 'its defaults'}", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src_nb = Path(tmp) / f"{source.stem}.ipynb"
        nbformat.write(nb, src_nb)
        partial = out / f"{source.stem}.failed.ipynb"
        start = time.perf_counter()
        try:
            result = papermill.execute_notebook(
                str(src_nb), str(partial), parameters=mine, kernel_name="python3", cwd=str(ROOT), progress_bar=False
            )
            profile = f" ({mine['profile']} profile)" if "profile" in mine else ""
            _timed(f"{source.stem}{profile}", time.perf_counter() - start)
        except PapermillExecutionError as e:
            if raise_errors:
                partial.unlink(missing_ok=True)
                raise
            print(
                f"[book] FAILED: {source.relative_to(ROOT)}, cell {e.cell_index} "
                f"(execution count {e.exec_count}): {e.ename}: {e.evalue}\n"
                f"[book] partial output kept in {partial}",
                file=sys.stderr,
            )
            return False
    result.metadata["dmlvae"] = {"cache_key": key, "parameters": mine, "source": nb.metadata["dmlvae_source"]}
    fold_parameter_cells(result)
    tmp_target = target.with_suffix(".tmp")
    nbformat.write(result, tmp_target)
    tmp_target.replace(target)
    partial.unlink(missing_ok=True)
    return True


def fold_parameter_cells(nb) -> None:
    """The page's ``parameters`` cell and papermill's injected one are folded (``hide-cell``) in the book: they are
    for re-running, and the page's re-run note says how."""
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if ("parameters" in tags or "injected-parameters" in tags) and "hide-cell" not in tags:
            tags.append("hide-cell")


def takes_profile(source: Path) -> bool:
    return "profile" in declared_parameters(jupytext.read(source))


JOBS = 1  # --jobs: pages executed at once (each in its own kernel)
# the pages that take no profile and train nothing (dmlvae.pages.teaching.LIVE): under profile auto they run in the
# pool beside the pre-run pages
QUIET_PAGES = {"00_data"}


def in_parallel(fn, items) -> list:
    """``fn`` over ``items``, ``JOBS`` at a time (threads: each page's work is in its own kernel process), the
    results in the items' order."""
    if JOBS <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        return list(pool.map(fn, items))


def shipped_pages(sources, params: dict, fingerprint: str, also=()) -> set[Path]:
    """Execute the profile-taking pages under the paper profile without training (DMLVAE_NO_TRAIN); the executed
    notebooks of those that succeed replace the book's, and their sources are returned. A page that lacks runs
    (MissingRuns) is left to the quick profile; any other failure is raised, naming the page. ``also``: other
    work (each a function returning False on failure), run in the same pool, before the pages."""
    pages, shipped = [s for s in sources if takes_profile(s)], set()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DMLVAE_NO_TRAIN"] = "1"  # every kernel of this phase inherits it (no other phase runs meanwhile)

        def pre_run(source: Path) -> tuple[Path, PapermillExecutionError | None]:
            try:
                execute(source, {**params, "profile": "paper"}, True, fingerprint, Path(tmp), raise_errors=True)
            except PapermillExecutionError as e:
                return source, e
            return source, None

        try:
            # the other work first (the data page and the findings), then the pages, in the table of contents' order
            results = in_parallel(lambda item: item() if callable(item) else pre_run(item), [*also, *pages])
            if not all(results[: len(also)]):
                raise SystemExit("[book] FAILED: a page or the findings executed beside the pre-run pages (above)")
            for source, e in results[len(also) :]:
                if e is None:
                    shipped.add(source)
                elif e.ename != "MissingRuns":
                    raise SystemExit(
                        f"[book] FAILED under the paper profile: {source.relative_to(ROOT)}, cell "
                        f"{e.cell_index}: {e.ename}: {e.evalue}"
                    )
                else:
                    print(f"[book] profile auto: {source.name} takes the quick profile: {e.evalue}", flush=True)
        finally:
            del os.environ["DMLVAE_NO_TRAIN"]
        OUT.mkdir(parents=True, exist_ok=True)
        for source in shipped:
            shutil.copyfile(Path(tmp) / f"{source.stem}.ipynb", OUT / f"{source.stem}.ipynb")
    names = lambda group: ", ".join(s.stem for s in group) or "none"  # noqa: E731
    print(
        f"[book] profile auto: from the shipped paper-scale results: {names(sorted(shipped))}; from the quick "
        f"profile: {names([s for s in pages if s not in shipped])}",
        flush=True,
    )
    return shipped


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--profile",
        default=None,
        help="experiment profile for the pages that take one, or auto (per page: paper when the shipped "
        "results hold its runs, else quick)",
    )
    ap.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a page parameter; VALUE is read as YAML like papermill's -p",
    )
    ap.add_argument("--only", action="append", default=[], help="execute only these notebooks (stems)")
    ap.add_argument("--force", action="store_true", help="execute even when nothing changed")
    ap.add_argument("--out", default=str(OUT), help="where executed notebooks go (default book/generated)")
    ap.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="pages pre-run at once under profile auto, each in its own kernel (default: 2, or 1 on a 1-core "
        "machine); the pages that train live run one at a time",
    )
    ap.add_argument("--times", default=None, help="append each page's execution time to this file (tools/timed.py)")
    args = ap.parse_args(argv)
    global TIMES, JOBS
    TIMES = Path(args.times) if args.times else None
    if args.jobs < 1:
        print(f"[book] error: --jobs {args.jobs}: the pages executed at once must be 1 or more", file=sys.stderr)
        return 2
    JOBS = args.jobs
    params = {}
    for name, value in args.parameter:
        try:
            params[name] = yaml.safe_load(value)
        except yaml.YAMLError as e:  # one line, as papermill's -p reads the value
            where = getattr(e, "problem", None) or str(e).splitlines()[0]
            print(
                f"[book] error: -p {name} {value!r} is not a YAML value ({where}); quote a string, e.g. "
                f"-p {name} '\"text\"'",
                file=sys.stderr,
            )
            return 2
    auto = args.profile == "auto"
    if auto:
        args.profile = "quick"
    if args.profile is not None:
        from dmlvae import DmlvaeError
        from dmlvae.experiments.profiles import validate_profile

        try:
            params["profile"] = validate_profile(args.profile)
        except DmlvaeError as e:  # before any page runs, not in the middle of the build
            print(f"[book] error: {e}", file=sys.stderr)
            return 2
    fingerprint = package_fingerprint()
    sources = sorted(SOURCES.glob("*.py"))
    if args.only:
        unknown = sorted(set(args.only) - {s.stem for s in sources})
        if unknown:
            print(
                f"[book] error: unknown notebook(s) {unknown}; allowed: {', '.join(s.stem for s in sources)}",
                file=sys.stderr,
            )
            return 2
        sources = [s for s in sources if s.stem in args.only]
    declared = set().union(*(declared_parameters(jupytext.read(s)) for s in sources))
    unknown = sorted(set(params) - declared - {"profile"})  # --profile is always passed by `make book`
    if unknown:  # a parameter no page takes is a typo, not something to ignore
        print(
            f"[book] error: no page takes parameter(s) {unknown}; allowed: {', '.join(sorted(declared))}",
            file=sys.stderr,
        )
        return 2
    from dmlvae import DmlvaeError, pages

    try:  # every value, before any page runs: not inside a page after minutes of training
        for name, value in params.items():
            pages.check_one(name, value)
    except DmlvaeError as e:
        print(f"[book] error: {e}", file=sys.stderr)
        return 2
    findings = Path(args.out) / "findings.md"
    done = set()
    pooled = auto and Path(args.out) == OUT  # the pre-run pool runs (into the book's folder only)
    if pooled:
        # beside the pre-run pages, in the same pool: the pages that take no profile and train nothing, and the
        # intro's findings (the pages that train live use every core: with another page beside them, the
        # walkthrough took 109 s instead of 13)
        quiet = [s for s in sources if s.stem in QUIET_PAGES and not takes_profile(s)]
        also = [lambda s=s: execute(s, params, args.force, fingerprint, Path(args.out)) for s in quiet]
        done = shipped_pages(sources, params, fingerprint, also=[*also, lambda: findings_apart(findings)])
        done |= set(quiet)
    # the pages left train live (their torch runs use every core): one at a time, as two at once took 2-6x longer
    for source in (s for s in sources if s not in done):
        if not execute(source, params, args.force, fingerprint, Path(args.out)):
            return 1
    if not pooled:
        write_findings(findings)
    return 0


def findings_apart(path: Path) -> bool:
    """:func:`write_findings` in a process of its own (in this one it would hold the interpreter's lock that the
    threads driving the page kernels need); False when it fails."""
    code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import execute_notebooks as e; "
    code += f"from pathlib import Path; e.write_findings(Path({str(path)!r}))"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def write_findings(path: Path) -> None:
    """The intro's opening (``{include}``d from here): what the reproduction found, from the shipped paper rows."""
    from dmlvae.analysis import findings
    from dmlvae.experiments import profiles

    # the claim numbers link to the scorecard page (a path from book/intro.md, which includes this file)
    text = findings.text(ROOT / profiles.SHIPPED, "paper", link="generated/07_scorecard.ipynb")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text + "\n")
    tmp.replace(path)
    print(f"[book] findings -> {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
