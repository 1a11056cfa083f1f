"""The README's Python example runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    for code in blocks:
        scope = {}
        exec(compile(code, "README.md", "exec"), scope)
    assert scope["x"].shape == (1347, 1, 8, 8)
    assert len(scope["labelled"]) == 135


def test_readme_opens_with_the_two_commands():
    first_block = re.search(r"```bash\n(.*?)```", README.read_text(), flags=re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make book", "make test"]


def test_readme_geodesic_cost_is_the_shipped_rows():
    """The README's cost of the geodesic triplet loss is what the shipped paper-scale rows of the geodesic grid
    give (the geodesic page computes the same ratio from them)."""
    import statistics

    from dmlvae.core.config import RunConfig
    from dmlvae.experiments import grids, profiles, store

    seconds = {}
    for r in store.rows_for(profiles.SHIPPED, "geodesic", "paper"):
        variant = grids.geodesic_variant(RunConfig.from_dict(r["config"]))
        seconds.setdefault(variant, []).append(store.run_seconds(r))
    geodesic, euclidean = (statistics.median(seconds[n]) for n, _ in grids.GEODESIC_VARIANTS[2:0:-1])
    said = re.search(
        r"its runs take (\d+\.\d)x the time of\s+the Euclidean batch-hard ones \(medians of the geodesic "
        r"grid's shipped rows: (\d+) s against (\d+) s of (CPU|wall) time",
        README.read_text(),
    )
    assert said, "the README no longer states the geodesic loss's cost"
    assert (said[1], said[2], said[3]) == (f"{geodesic / euclidean:.1f}", f"{geodesic:.0f}", f"{euclidean:.0f}")
    rows = store.rows_for(profiles.SHIPPED, "geodesic", "paper")
    assert said[4] == ("CPU" if all("cpu_time" in r for r in rows) else "wall"), "the README names the wrong clock"


def test_readme_run_times_are_the_shipped_rows():
    """The README's whole-run times are the medians (and ranges) of the shipped rows it names."""
    import statistics

    from dmlvae.experiments import profiles, store

    def rows(grid, **where):
        return [
            r
            for r in store.rows_for(profiles.SHIPPED, grid, "paper")
            if r["status"] == "ok"
            and r["config"]["dataset"] == "mnist"
            and all(r["config"][k] == v for k, v in where.items())
        ]

    med = lambda rs: f"{statistics.median(r['wall_time'] for r in rs):.0f}"  # noqa: E731
    lp = rows("labelprop")
    prop = [r["history"][0]["propagation_seconds"] for r in lp]
    said = (
        f"DML {med(rows(1, model='dml'))} s and the DML autoencoder {med(rows(1, model='dml_autoencoder'))} s\n"
        f"(Table 1's runs), `dml_labelprop` {med(lp)} s ({min(r['wall_time'] for r in lp):.0f}-"
        f"{max(r['wall_time'] for r in lp):.0f} s, the 60-label target's {len(lp)} runs; {min(prop):.0f}-"
        f"{max(prop):.0f} s of it the PCA and kNN\ngraph of the first propagation), the joint MetricVAE "
        f"{med(rows(4, model='mvae'))} s (Table 4's runs)"
    )
    assert said in README.read_text()
    threads = lambda rs: sorted({r["threads"] for r in rs})  # noqa: E731
    named = rows(4, model="mvae") + lp
    assert not any("cpu_time" in r for r in rows(1) + named), "the rows record CPU time now: say so"
    assert (threads(rows(1, model="dml")), threads(rows(1, model="dml_autoencoder")), threads(named)) == (
        [2],
        [1, 2],
        [1],
    ), "the README's thread counts of the whole runs are no longer the rows'"
    assert "2 for Table 1's DML runs, 1 or 2 for its DML autoencoder runs, 1 for the others" in README.read_text()
