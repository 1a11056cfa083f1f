"""The book's own grids (dmlvae.experiments.grids): each grid's cells, as its page and the protocol name them."""

import pytest

from dmlvae import DmlvaeError
from dmlvae.core.config import RunConfig
from dmlvae.experiments import grids, profiles


# ------------------------------------------------------------------------------------------ grids and latents
def test_beyond_grid_covers_every_contender_at_6_60_600_6000_labels():
    cells = grids.beyond("mnist")
    assert len(cells) == len(grids.BEYOND_CONTENDERS) * 4
    names = {grids.contender(RunConfig(**c)) for c in cells}
    assert names == {n for n, _ in grids.BEYOND_CONTENDERS}
    ae = [c for c in cells if c.get("alpha") == 1.0]
    assert len(ae) == 4 and grids.contender(RunConfig(**ae[0])) == "autoencoder alone (alpha = 1)"
    assert sorted({c["pl_pct"] for c in cells}) == [0.01, 0.1, 1.0, 10.0]


def test_graph_grid_reuses_the_beyond_cells_and_counts_its_labels():
    from dmlvae.core.data import n_labelled
    from dmlvae.experiments import grids

    cells = grids.cells("graph")
    assert {n_labelled(60000, c["pl_pct"]) for c in cells} == {10, 60}
    assert {(c["dataset"], n_labelled(60000, c["pl_pct"]), c["policy"]) for c in cells} == {
        ("mnist", 60, "uniform"),
        ("mnist", 60, "stratified"),
        ("mnist", 10, "stratified"),
        ("fashion-mnist", 60, "uniform"),
        ("fashion-mnist", 60, "stratified"),
    }
    beyond_keys = {RunConfig(**c).key() for c in grids.cells("beyond")}
    dml60 = [c for c in cells if c["model"] == "dml" and c["policy"] == "uniform" and c["dataset"] == "mnist"]
    assert dml60 and all(RunConfig(**c).key() in beyond_keys for c in dml60)
    assert [grids.graph_contender(RunConfig(**c)) for c in grids.cells("graph", contenders="vae-poisson")][
        0
    ] == "VAE + Poisson learning + DML"
    with pytest.raises(DmlvaeError, match="'vae'.*vae-poisson-mbo"):
        grids.cells("graph", contenders="vae")


def test_the_grid_sets_each_share_and_its_references_at_each_percentage():
    cells = grids.cells("balance")
    assert len(cells) == len(grids.BALANCE_PCTS) * (len(grids.BALANCE_SHARES) + 2)
    cfgs = [RunConfig(**c) for c in cells]
    assert {(c.pl_pct, c.metric_share) for c in cfgs if c.metric_share} == {
        (p, s) for p in (0.01, 0.1, 10.0, 100.0) for s in (0.01, 0.1, 0.5, 0.9)
    }
    assert all(c.routine == "joint" and c.lsdim == 10 and c.model == "mvae" for c in cfgs if c.metric_share)
    assert {grids.balance_line(c) for c in cfgs} == {
        "share 0.01",
        "share 0.1",
        "share 0.5",
        "share 0.9",
        "DML",
        "VAE alone (gamma = 0)",
    }
    vae = [c for c in cfgs if grids.balance_line(c).startswith("VAE")]
    assert all(c.gamma == 0 and c.model == "mvae" for c in vae) and len(vae) == 4


def test_the_literal_grids_change_the_metricvae_only():
    t4 = [RunConfig(**c) for c in grids.cells("table4-objective")]
    assert {(c.model, c.recon) for c in t4} == {("mvae", "pixel-mean"), ("dml", "pixel-mean")}
    ours = profiles.configs(4, "paper", 1)
    assert [c.key() for c in t4 if c.model == "dml"] == [c.key() for c in ours if c.model == "dml"]
    assert len(t4) == len(ours) and all(c.probes == ("knn", "rf", "linear") for c in t4)
    alt = [RunConfig(**c) for c in grids.cells("mvae-alternating", recon="pixel-mean")]
    default = [RunConfig(**c) for c in grids.cells("mvae-alternating")]
    assert [c.key() for c in alt if c.model == "dml"] == [c.key() for c in default if c.model == "dml"]
    assert {c.recon for c in alt if c.model == "mvae"} == {"pixel-mean"}
    assert {c.recon for c in default if c.model == "mvae"} == {"image-sum"}


def test_the_graph_grid_runs_none_of_the_steps_the_page_lists_as_not_tried():
    cells = grids.cells("graph")
    assert {c.get("graph_priors", "uniform") for c in cells} <= {"uniform", "none"}  # never "labelled"
    assert {c["model"] for c in cells} == {"vae_graph", "dml", "dml_labelprop", "dml_autoencoder"}  # no MetricVAE
    assert all(RunConfig(**{**c, "seed": 0}).vae_hidden == RunConfig().vae_hidden for c in cells)  # no larger VAE
    assert all(RunConfig(**{**c, "seed": 0}).epochs == RunConfig().epochs for c in cells)  # no longer DML step


def test_the_intro_gives_the_validation_labels_the_code_uses():
    from pathlib import Path

    intro = (Path(__file__).resolve().parents[2] / "book" / "intro.md").read_text()
    assert f"chosen on {grids.VALIDATION_IMAGES:,} validation labels" in " ".join(intro.split())


def test_the_graph_levers_grid_runs_each_lever_at_every_graph_setting_beside_the_graph_grid():
    from dmlvae.core.config import ADDED_FIELDS
    from dmlvae.errors import DmlvaeError

    cells = grids.cells("graph-levers")
    settings = [(ds, n, d) for ds, ss in grids.GRAPH_SETTINGS.items() for n, d in ss]
    assert len(cells) == len(settings) * len(grids.GRAPH_LEVERS)
    levers = {name: fields for name, _, fields in grids.GRAPH_LEVERS}
    assert set(levers) == {"labelled-priors", "umap", "self-training", "conv-vae", "transductive"}
    assert (
        grids.NOT_CONTENDERS == (grids.GRAPH_LEVERS[-1][1],) and levers["transductive"]["graph_nodes"] == "train+test"
    )
    graph = {tuple(sorted(c.items())) for c in grids.cells("graph")}
    baseline = {"model": "vae_graph", "graph_method": "poisson-mbo"}
    for name, fields in levers.items():
        mine = grids.cells("graph-levers", levers=name)
        assert [(c["dataset"], round(c["pl_pct"] * 600), c["policy"]) for c in mine] == settings
        # each lever moves its fields off their defaults; with those put back, the cell is the graph grid's
        moved = set(fields) - set(baseline)
        assert all(fields[m] != ADDED_FIELDS[m] for m in moved) and len(moved) == (2 if name == "conv-vae" else 1)
        assert all(tuple(sorted({k: v for k, v in c.items() if k not in moved}.items())) in graph for c in mine)
    assert levers["self-training"]["graph_rounds"] == 2 and levers["umap"]["graph_embedding"] == "umap"
    assert levers["conv-vae"] == {**baseline, "vae_net": "conv", "vae_epochs": 50}
    with pytest.raises(
        DmlvaeError, match="unknown lever 'pca'; allowed: labelled-priors, umap, self-training, conv-vae, transductive"
    ):
        grids.cells("graph-levers", levers="pca")


def test_each_graph_cell_and_lever_cell_is_named_by_its_own_entry_and_a_mix_by_none():
    from dmlvae.core.config import RunConfig
    from dmlvae.errors import DmlvaeError

    for grid, entries in (("graph", grids.GRAPH_CONTENDERS), ("graph-levers", grids.GRAPH_LEVERS)):
        for short, name, _ in entries:
            what = "contenders" if grid == "graph" else "levers"
            cells = grids.cells(grid, **{what: short})
            assert {grids.graph_contender(RunConfig(**c)) for c in cells} == {name}
    mixed = RunConfig(model="vae_graph", graph_priors="labelled", graph_embedding="umap")
    with pytest.raises(DmlvaeError, match="no graph-grid contender"):
        grids.graph_contender(mixed)
