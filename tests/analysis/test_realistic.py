"""The realistic-protocol comparison (dmlvae.analysis.realistic): tables and sentences from rows, and the anchors."""

import numpy as np

from dmlvae.analysis import realistic
from dmlvae.core.config import RunConfig
from dmlvae.experiments import grids, profiles, store


def row(
    contender,
    seed,
    acc,
    dataset="mnist",
    labels=60,
    draw="uniform",
    own=None,
    status="ok",
    cpu=None,
    reused=False,
    every=None,
):
    cell = next(c for short, _, c in (*grids.GRAPH_CONTENDERS, *grids.GRAPH_LEVERS) if short == contender)
    cfg = RunConfig(**{"dataset": dataset, "pl_pct": grids.graph_pct(labels), "policy": draw, **cell, "seed": seed})
    r = {
        "config": cfg.to_dict(),
        "status": status,
        "cpu_time": 100.0 + seed if cpu is None else cpu,
        "threads": 1,
        "metrics_by_protocol": {"labelled-to-test": {"knn_acc": acc}},
        "history": [{"vae_cached": True, "vae_seconds": 5000.0}] if reused else [{}],
    }
    if own is not None:
        r["own_classifier"] = {"inferred-knn": {"knn_acc": own}, "inferred-knn-vae": {"knn_acc": own - 0.01}}
        r["pseudo_label_acc"] = [own - 0.002]
    if every is not None:
        r["transductive_acc"] = [every]
    return r


def test_summary_gives_the_t_interval_and_the_distance_to_the_target():
    accs = [0.96, 0.97, 0.95]
    rows = [row("vae-poisson-mbo", s, a, own=0.97) for s, a in enumerate(accs)] + [row("dml", 0, 0.5)]
    t = realistic.summary(realistic.frame(rows))
    mine = t[t.contender == realistic.METHOD].iloc[0]
    assert mine.n == 3 and abs(mine["mean"] - 0.96) < 1e-12
    half = 4.302652729911275 * np.std(accs, ddof=1) / np.sqrt(3)  # t(0.975, 2)
    assert mine["labelled-to-test kNN (95 % CI)"] == f"0.960 [{0.96 - half:.3f}, {0.96 + half:.3f}]"
    assert abs(mine.distance - (0.96 - 0.975)) < 1e-12 and mine["own classifier"] == "0.970"
    assert mine["own classifier before DML"] == "0.960"
    dml = t[t.contender == "DML (baseline)"].iloc[0]
    assert np.isnan(dml.target) and dml["own classifier"] == "-"


def test_target_sentences_say_met_missed_and_missing_from_the_rows():
    rows = [row("vae-poisson-mbo", s, 0.97, own=0.97) for s in range(2)]  # uniform MNIST: target 0.975
    rows += [row("vae-poisson-mbo", s, 0.955, labels=10, draw="stratified", own=0.96) for s in range(2)]
    rows += [row("labelprop", s, 0.92) for s in range(2)]
    sentences = realistic.target_sentences(realistic.summary(realistic.frame(rows)))
    assert len(sentences) == len(realistic.TARGETS)
    uniform = next(s for s in sentences if "mnist, 60 labels, uniform" in s and "fashion" not in s)
    assert "missed by 0.005" in uniform and "DML on propagated labels" in uniform and "0.920" in uniform
    ten = next(s for s in sentences if "10 labels" in s)
    assert "met" in ten and "missed" not in ten
    assert any("fashion-mnist, 60 labels, stratified draw**: no run" in s for s in sentences)


def test_failed_runs_and_the_confirmation_seeds_are_kept_apart():
    rows = [row("vae-poisson-mbo", s, 0.9 + 0.01 * s, own=0.9) for s in range(10)]
    rows.append(row("vae-poisson-mbo", 10, 0.1, status="failed"))
    f = realistic.frame(rows)
    confirm = realistic.summary(f, confirm_only=True).iloc[0]
    assert confirm.seeds == "5, 6, 7, 8, 9" and abs(confirm["mean"] - 0.97) < 1e-12
    assert realistic.summary(f).iloc[0].n == 10


def test_progress_sentence_counts_and_names_the_command():
    assert realistic.progress_sentence(250, 250) == "All 250 runs of the graph grid are stored."
    s = realistic.progress_sentence(12, 250)
    assert "12 of the graph grid's 250 runs" in s and "sweep --grid graph --profile paper --seeds 10" in s


def test_anchors_hold_the_published_numbers_with_their_protocols():
    a = realistic.anchors()

    def pick(ref, method, ds, n):
        return a[(a.reference == ref) & (a.method == method) & (a.dataset == ds) & (a.labels == n)].accuracy.item()

    assert pick("Calder et al. 2020", "Poisson-MBO", "mnist", 50) == 0.9724  # their paper's 97.2
    assert pick("Calder et al. 2020", "Poisson learning", "mnist", 10) == 0.9018  # 90.2
    assert pick("Calder et al. 2020", "Poisson learning", "fashion-mnist", 50) == 0.7242  # 72.4
    assert pick("Kingma et al. 2014", "M1+M2 (VAE features + semi-supervised VAE)", "mnist", 100) == 0.9667
    assert a.protocol.str.startswith("transductive").sum() == (a.reference == "Calder et al. 2020").sum()
    assert "transductive" in realistic.anchor_notes(a) and "inductive" in realistic.anchor_notes(a)


def test_tried_sentences_name_every_other_contender_and_both_ablations_only_where_a_target_is_missed():
    rows = [row("vae-poisson-mbo", s, 0.95, own=0.96) for s in range(3)]  # uniform MNIST: missed by 0.025
    rows += [row("vae-poisson", s, 0.94) for s in range(3)]
    rows += [row("labelprop", s, 0.92) for s in range(2)] + [row("dml", s, 0.58) for s in range(2)]
    rows += [row("vae-poisson-mbo", s, 0.96, labels=10, draw="stratified", own=0.96) for s in range(2)]  # met
    tried = realistic.tried_sentences(realistic.summary(realistic.frame(rows)))
    assert len(tried) == 1  # the met setting, and the settings without a run of the method, get none
    (s,) = tried
    assert s.startswith("**mnist, 60 labels, uniform draw** (missed by 0.025)")
    assert "DML on propagated labels (Iscen et al. 2019) 0.920 (2 seeds)" in s and "DML (baseline) 0.580" in s
    assert "from 0.950 (the VAE's latents) to 0.960 (+0.0100)" in s  # before DML, then after: not swapped
    assert "Poisson-MBO gives 0.940 against 0.950" in s and "right on 0.958" in s
    assert "VAE + Poisson learning + DML 0.940" not in s  # the ablation is not listed twice


def test_time_sentence_judges_the_runs_that_paid_for_their_vae_and_reports_the_reused_apart():
    rows = [row("vae-poisson-mbo", 0, 0.95, own=0.96, cpu=700.0), row("dml", 0, 0.5, cpu=40.0)]
    rows.append(row("vae-poisson-mbo", 1, 0.95, own=0.96, cpu=90.0, reused=True))
    s = realistic.time_sentence(realistic.frame(rows))
    assert "costliest of the 2 runs" in s and "took 700 s" in s and "every run is within" in s
    assert "The 1 VAE + graph runs that reused their seed's cached VAE cost at most 90 s" in s
    only_reused = realistic.time_sentence(realistic.frame(rows[2:]))
    assert "costliest" not in only_reused and "The 1 VAE + graph runs that reused" in only_reused
    rows.append(row("labelprop", 0, 0.9, cpu=901.0))
    assert "1 of 3 runs are over the protocol's 15 minutes" in realistic.time_sentence(realistic.frame(rows))


def test_headline_gives_mean_and_interval_per_target_setting_and_counts_the_targets_met():
    rows = [row("vae-poisson-mbo", s, a, own=0.97) for s, a in enumerate([0.96, 0.98])]  # uniform MNIST: missed
    rows += [row("vae-poisson-mbo", 0, 0.955, labels=10, draw="stratified", own=0.96)]  # one seed: met
    rows += [row("labelprop", s, 0.99) for s in range(2)]  # another contender never enters the headline
    line = realistic.headline(realistic.frame(rows))
    # 95 % t-interval by hand: sd 0.01414, t(0.975, 1 df) 12.706, half-width 12.706 * 0.01414 / sqrt(2) = 0.127
    assert "mnist, 60 labels, uniform draw: 0.970 [0.843, 1.097] over 2 seeds (target 0.975)" in line
    assert "mean [95 % interval]" in line
    assert "mnist, 10 labels, stratified draw: 0.955 over 1 seed (target 0.950)" in line
    assert "1 of 2 targets met" in line and "fashion" not in line and "0.99" not in line
    assert realistic.headline(realistic.frame([row("labelprop", 0, 0.9)])) is None
    # the answer box's count is the headline's: met where the mean over seeds reaches the target
    assert realistic.targets_met(realistic.frame(rows)) == (1, 2, "0, 1")
    assert realistic.targets_met(realistic.frame([row("labelprop", 0, 0.9)])) is None


def test_seeds_text_is_what_sweep_takes_back():
    for seeds, text in (
        (10, "10"),
        ([0, 1, 2], "3"),
        ("10-14", "10-14"),
        ([3, 7, 9], "3,7,9"),
        ([5, 6], "5,6"),
        ([10], "10-10"),  # "10" would be seeds 0-9
        ([0], "1"),
    ):
        assert realistic.seeds_text(seeds) == text
        assert profiles.seeds_arg(text) == profiles.seeds_arg(seeds)
    assert realistic.seeds_label(10) == "0-9" and realistic.seeds_label([5, 6]) == "5, 6"


def test_realistic_command_reports_fresh_seeds_from_any_results_file(run_cli, tmp_path):
    """A check on seeds no one has used: `sweep --grid graph --seeds 10-11` stores them, `realistic --seeds 10-11`
    reports them (here the method's rows are written by hand; the sweep's range of seeds is tested below)."""
    f = tmp_path / "fresh.jsonl"
    s = store.Store(f)
    method = [c for c in realistic.configs("10-11") if grids.graph_contender(c) == realistic.METHOD]
    for cfg in method:
        r = row("vae-poisson-mbo", cfg.seed, 0.5 + cfg.seed / 100, cfg.dataset, 60, cfg.policy, own=0.9)
        r.update(config=cfg.to_dict(), table="graph", profile="paper", key=cfg.key())
        s.append(r)
    code, out, err = run_cli("realistic", "--results", f, "--seeds", "10-11")
    assert code == 0, err
    assert "seeds 10, 11. 10 of the graph grid's 50 runs are stored" in out and "--seeds 10,11` trains the rest" in out
    assert out.count("VAE + Poisson-MBO + DML reaches 0.605 [") == len(realistic.TARGETS)  # seeds 10, 11: 0.60, 0.61
    assert "**The confirmation seeds alone** (5, 6, 7, 8, 9" in out and "none is stored." in out
    code, out, err = run_cli("realistic", "--results", f, "--seeds", "20-21")
    assert code == 0 and "None of the graph grid's 50 runs is stored" in out
    code, out, err = run_cli("realistic", "--results", f, "--seeds", "10-10")
    assert code == 0 and "full data, seed 10. 5 of the graph grid's 25 runs" in out and "--seeds 10-10`" in out


def test_sweep_trains_exactly_the_seeds_a_list_names(run_cli, tmp_path):
    f = tmp_path / "fresh.jsonl"
    args = ["sweep", "--grid", "graph", "--grid-param", "contenders=dml", "--profile", "smoke", "--dataset", "digits"]
    code, out, err = run_cli(*args, "--seeds", "10,12", "--results", f, "--no-progress")
    assert code == 0, err
    assert sorted({r["seed"] for r in store.Store(f).rows()}) == [10, 12]


def test_each_lever_is_paired_seed_by_seed_with_the_method_and_said_to_move_a_setting_only_past_its_interval():
    method = [0.95, 0.96, 0.94, 0.97]
    graph = realistic.frame([row("vae-poisson-mbo", s, a, own=a) for s, a in enumerate(method)])
    gains = [0.010, 0.012, 0.011]  # umap on seeds 0-2 only: paired on those three
    levers = [row("umap", s, method[s] + g, own=0.97) for s, g in enumerate(gains)]
    levers += [row("labelled-priors", s, a + (0.01 if s % 2 else -0.01)) for s, a in enumerate(method)]
    levers += [row("self-training", 0, 0.9)]  # one seed: no interval
    levers += [row("umap", 9, 0.5, status="failed")]
    t = realistic.lever_table(realistic.frame(levers), graph)
    umap = t[t.lever == "VAE + UMAP + Poisson-MBO + DML"].iloc[0]
    d = realistic.interval(gains)
    assert umap.seeds == "0, 1, 2" and umap["paired seeds"] == 3 and umap.moves == 1
    assert umap[realistic.LEVER_DIFF] == f"{d['mean']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"
    assert abs(umap["distance to the target"] - (np.mean([m + g for m, g in zip(method, gains)]) - 0.975)) < 1e-12
    assert umap["own classifier"] == "0.970" and umap["inferred labels right"] == "0.968"
    assert umap[realistic.LEVER_SECONDS] == 101.0  # the median of 100, 101, 102 (the row helper's cpu_time)
    priors = t[t.lever.str.contains("labelled draw")].iloc[0]
    assert priors.moves == 0 and priors["paired seeds"] == 4  # +-0.01 alternating: the interval holds 0
    assert t[t.lever.str.contains("self-training")].iloc[0].moves == 0
    said = realistic.lever_sentences(t)
    assert said[2] == (
        "**VAE + Poisson-MBO + DML, 2 rounds (self-training)** has too few paired seeds to tell at mnist, 60 "
        "labels, uniform draw (-0.050, 1 seed)."
    )
    assert said[0].startswith("**VAE + UMAP + Poisson-MBO + DML** raises mnist, 60 labels, uniform draw (+0.011 [")
    assert "shows no difference at mnist, 60 labels, uniform draw" in said[1] and "lowers" not in " ".join(said)
    lower = realistic.lever_table(
        realistic.frame([row("umap", s, a - 0.02 - 0.001 * s) for s, a in enumerate(method)]), graph
    )
    assert lower.moves.tolist() == [-1] and "lowers mnist" in realistic.lever_sentences(lower)[0]


def test_the_untried_levers_are_named_until_they_have_rows():
    all_left = realistic.untried_sentence([])
    assert all(f"`{short}` lever" in all_left for short, _, _ in grids.GRAPH_LEVERS) and "transductive" in all_left
    umap = next(name for short, name, _ in grids.GRAPH_LEVERS if short == "umap")
    assert "`umap` lever" not in realistic.untried_sentence(
        [umap]
    ) and "`conv-vae` lever" in realistic.untried_sentence([umap])


def test_the_transductive_lever_is_scored_both_ways_and_never_against_a_target():
    method = [row("vae-poisson-mbo", s, 0.95 + 0.001 * s, own=0.95) for s in range(3)]
    trans = [row("transductive", s, 0.99, own=0.99, every=0.985) for s in range(3)]
    t = realistic.lever_table(realistic.frame(trans), realistic.frame(method))
    assert t.lever.tolist() == list(grids.NOT_CONTENDERS)
    assert t["distance to the target"].isna().all()
    assert t["every unlabelled node right (transductive)"].tolist() == ["0.985"]
    # the targets count the method's runs only: transductive runs at 0.99 meet none of them
    runs = realistic.frame(method + trans)
    assert realistic.targets_met(runs) == realistic.targets_met(realistic.frame(method))
    assert realistic.targets_met(runs)[0] == 0
    assert realistic.headline(runs) == realistic.headline(realistic.frame(method))


def test_the_levers_findings_line_comes_from_the_stored_lever_and_method_rows(tmp_path):
    f = tmp_path / "paper.jsonl"
    s = store.Store(f)
    assert realistic.levers_headline_for(f) is None  # no lever run: no line

    def stored(table, cfg, acc):
        s.append(
            {
                "table": table,
                "profile": "paper",
                "key": cfg.key(),
                "status": "ok",
                "config": cfg.to_dict(),
                "seed": cfg.seed,
                "metrics_by_protocol": {"labelled-to-test": {"knn_acc": acc}},
                "history": [{}],
            }
        )

    setting = dict(dataset="mnist", pl_pct=grids.graph_pct(60), policy="uniform")
    method = [c for c in realistic.configs() if grids.graph_contender(c) == realistic.METHOD]
    umap = [c for c in realistic.configs(grid="graph-levers") if c.graph_embedding == "umap"]
    for seed in range(3):
        (m,) = [c for c in method if c.seed == seed and all(getattr(c, k) == v for k, v in setting.items())]
        (u,) = [c for c in umap if c.seed == seed and all(getattr(c, k) == v for k, v in setting.items())]
        stored("graph", m, 0.95 + 0.01 * seed)
        stored("graph-levers", u, 0.97 + 0.01 * seed + 0.001 * seed)
    line = realistic.levers_headline_for(f)
    assert line.startswith("- **Levers on that method, each alone**")
    assert "**VAE + UMAP + Poisson-MBO + DML** raises mnist, 60 labels, uniform draw (+0.021 [" in line
    assert line.endswith("3 seeds).")
