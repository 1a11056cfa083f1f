"""The profiles (dmlvae.experiments.profiles): what each changes, the configurations and seeds they give."""

import pytest

from dmlvae import DmlvaeError, pages
from dmlvae.experiments import grids, profiles, sweep


def test_configs_times_seeds_and_profile_overrides():
    cfgs = profiles.configs(1, "smoke", [0, 1, 2])
    assert len(cfgs) == 90 and len({c.key() for c in cfgs}) == 90
    assert all(c.epochs == 1 and c.train_subset == 2000 for c in cfgs)
    assert {c.seed for c in cfgs} == {0, 1, 2}
    t4 = profiles.configs(4, "quick", [0])
    assert all(c.probes == ("knn", "rf", "linear") for c in t4)


def test_profile_scale_describes_what_the_runs_see():
    quick, paper_ = profiles.profile_scale("quick"), profiles.profile_scale("paper")
    assert "6,000 training images" in quick and "2 epochs" in quick and "256-128" in quick
    assert "miniature" in quick and "2,000 test images" in quick
    assert "full training split" in paper_ and "10 epochs" in paper_ and "512-256" in paper_
    assert "miniature" not in paper_ and "full test split" in paper_
    assert "1 epoch " in profiles.profile_scale("smoke")
    with pytest.raises(DmlvaeError, match="smoke, quick, paper"):
        profiles.profile_scale("full")


def test_grid_profiles_change_only_their_grids_under_their_profile(monkeypatch):
    """The quick profile trains Table 4 and the alternating-MetricVAE grid on 12,000 images (its calibration);
    every other grid, and every grid of the paper profile, keeps the profile's own setting."""
    from dmlvae.analysis import scorecard
    from dmlvae.experiments import grids

    assert {c.train_subset for c in profiles.configs(4, "quick", [0])} == {12000}
    assert {c.train_subset for c in profiles.configs(1, "quick", [0])} == {6000}
    assert {c.train_subset for c in profiles.configs(4, "paper", [0])} == {None}
    alt = grids.cells("mvae-alternating")
    assert {c.train_subset for c in profiles.profile_configs(alt, "quick", 1, grid="mvae-alternating")} == {12000}
    assert {c.train_subset for c in profiles.profile_configs(alt, "quick", 1, grid="figure6")} == {6000}
    assert {c.train_subset for c in profiles.profile_configs(alt, "quick", 1)} == {6000}
    # the scorecard's sources are the runs a page trains: the same keys
    sources = scorecard.claim_sources("quick", 2)
    page = profiles.profile_configs(grids.cells("mvae-alternating"), "quick", 2, grid="mvae-alternating")
    assert [c.key() for c in sources["alternating MVAE"][1]] == [c.key() for c in page]
    assert (
        "Table 4, the mvae-alternating grid, the table4-objective grid and the balance grid: train_subset 12,000"
        in profiles.profile_scale("quick")
    )
    assert "train_subset" not in profiles.profile_scale("paper")
    # a cell's own field still wins over a grid setting
    monkeypatch.setitem(profiles.GRID_PROFILES, "quick", {"g": {"train_subset": 9000, "epochs": 3}})
    (cfg,) = profiles.profile_configs([{"train_subset": 500}], "quick", 1, grid="g")
    assert (cfg.train_subset, cfg.epochs) == (500, 3)


def test_pages_show_the_shipped_paper_rows_only_when_complete(tmp_path, monkeypatch):
    from dmlvae.experiments import profiles

    shipped = tmp_path / "paper.jsonl"
    monkeypatch.setattr(profiles, "SHIPPED", shipped)
    cells = grids.cells("labelprop", dataset="digits")

    def fake(cfg):
        m = {"knn_acc": 0.5, "knn_ami": 0.1}
        return {"metrics": m, "metrics_by_protocol": {"labelled-to-test": m}, "history": []}

    assert profiles.shipped_or("quick", None, "labelprop", cells, 2) == ("quick", profiles.results_path("quick"))
    sweep.run_configs(
        "labelprop", "paper", profiles.profile_configs(cells, "paper", 1), shipped, progress=False, run_fn=fake
    )
    assert profiles.shipped_or("quick", None, "labelprop", cells, 2)[0] == "quick"  # 1 of 2 seeds: not complete
    sweep.run_configs(
        "labelprop", "paper", profiles.profile_configs(cells, "paper", 2), shipped, progress=False, run_fn=fake
    )
    assert profiles.shipped_or("quick", None, "labelprop", cells, 2) == ("paper", shipped)


def test_page_seeds_follow_the_profile():
    from dmlvae import DmlvaeError

    assert profiles.page_seeds("paper") == 3 and profiles.page_seeds("quick") == 2
    assert profiles.page_seeds("paper", 5) == 5 and grids.beyond_seeds("paper") == 5
    assert grids.beyond_seeds("quick") == 2 and grids.beyond_seeds("smoke", 4) == 4
    assert pages.check_one("seeds", None) is None
    with pytest.raises(DmlvaeError, match="profile"):
        profiles.page_seeds("huge")
