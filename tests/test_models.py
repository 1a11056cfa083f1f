"""Models x routines on real (digits) data: they train, learn, ignore labels when they should, and are
deterministic; priors against independent references; RunConfig errors name the parameter."""

import json
import math
import re

import numpy as np
import pytest
import torch

from dmlvae import DmlvaeError
from dmlvae.core import evaluate, losses, priors
from dmlvae.core.config import LOSSES, MODELS, OWN_ROUTINES, PRIOR_MODELS, ROUTINES, RunConfig
from dmlvae.core.models import build
from dmlvae.core.nets import Encoder
from dmlvae.core.train import prepare, run

FAST = dict(dataset="digits", epochs=2, lsdim=4, batch_size=128, n_pseudo=32, hidden=(64, 32))


def valid_pairs():
    for m in MODELS:
        for r in ROUTINES:
            if m == "dml" and r != "supervised":
                continue
            if (m in OWN_ROUTINES or r in OWN_ROUTINES.values()) and OWN_ROUTINES.get(m) != r:
                continue
            if r == "dml-then-gmm" and m not in PRIOR_MODELS:
                continue
            yield m, r


@pytest.mark.parametrize("model,routine", list(valid_pairs()))
def test_every_model_and_routine_trains_without_nan(model, routine):
    r = run(RunConfig(model=model, routine=routine, pl_pct=10, **FAST))
    assert len(r["history"]) == 2
    for row in r["history"]:
        for k, v in row.items():
            if isinstance(v, float):
                assert math.isfinite(v), (k, row)
    assert np.isfinite(r["z_test"]).all() and r["z_test"].shape == (450, 4)
    # the stored metric is the test-cv kNN of the returned latents, recomputed by hand: the stratified folds, and in
    # each a majority vote of the k nearest latents of the other folds
    from sklearn.model_selection import StratifiedKFold
    from test_evaluate import knn_by_hand

    z, y = r["z_test"], r["y_test"]
    pred = np.empty_like(y)
    for fit, held in StratifiedKFold(evaluate.CV_FOLDS, shuffle=True, random_state=0).split(z, y):
        pred[held] = knn_by_hand(z[fit], y[fit], z[held], evaluate.KNN_K)
    assert r["metrics"]["knn_acc"] == np.mean(pred == y)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("net", ["mlp", "conv"])
def test_losses_and_nets_train(loss, net):
    r = run(RunConfig(model="mvae", routine="joint", loss=loss, net=net, pl_pct=10, **FAST))
    assert all(math.isfinite(row["loss"]) for row in r["history"])


def test_dml_fully_labelled_digits_reaches_90_percent_knn():
    r = run(RunConfig(dataset="digits", model="dml", pl_pct=100, epochs=15, lsdim=10, seed=0))
    assert r["metrics"]["knn_acc"] >= 0.9, r["metrics"]
    assert r["history"][-1]["metric"] < r["history"][0]["metric"]


def test_history_shows_embedding_norm_and_active_triplets():
    r = run(RunConfig(model="dml_gmm_prior", pl_pct=10, **FAST))
    for row in r["history"]:
        assert row["embedding_norm"] > 0
    sup = [row for row in r["history"] if row["phase"] == "supervised"]
    assert sup and 0.0 <= sup[0]["active_triplets"] <= 1.0
    assert [row["phase"] for row in r["history"]] == ["supervised", "unsupervised"]


def test_alpha_one_ignores_labels():
    """dml_autoencoder at alpha = 1: permuting the labels changes nothing at all."""
    cfg = RunConfig(model="dml_autoencoder", alpha=1.0, pl_pct=10, **FAST)
    import dmlvae.core.train as T

    base = T.run(cfg)
    original = T.prepare

    def shuffled(c):
        ds, x, y, lab, xt, yt = original(c)
        return ds, x, y[torch.randperm(len(y), generator=torch.Generator().manual_seed(9))], lab, xt, yt

    T.prepare = shuffled
    try:
        other = T.run(cfg)
    finally:
        T.prepare = original
    np.testing.assert_array_equal(base["z_test"], other["z_test"])
    # and the labels do matter at alpha = 0.5 (the test can fail)
    T.prepare = shuffled
    try:
        a = T.run(cfg.replace(alpha=0.5))
    finally:
        T.prepare = original
    assert not np.array_equal(a["z_test"], T.run(cfg.replace(alpha=0.5))["z_test"])


def test_same_seed_same_numbers_on_cpu():
    cfg = RunConfig(model="mvae", routine="alternating-batch", pl_pct=1, device="cpu", **FAST)
    a, b = run(cfg), run(cfg)
    np.testing.assert_array_equal(a["z_test"], b["z_test"])
    assert a["metrics"] == b["metrics"]
    c = run(cfg.replace(seed=1))
    assert not np.array_equal(a["z_test"], c["z_test"])


def test_dml_then_gmm_switches_to_a_fitted_prior():
    r = run(
        RunConfig(
            model="mvae",
            routine="dml-then-gmm",
            dml_epochs=1,
            epochs=3,
            pl_pct=10,
            dataset="digits",
            lsdim=3,
            n_pseudo=16,
            hidden=(64, 32),
            batch_size=128,
        ),
        keep_model=True,
    )
    assert [row["phase"] for row in r["history"]] == ["dml", "joint-gmm", "joint-gmm"]
    prior = r["model"].prior
    assert isinstance(prior, priors.MixturePrior) and prior.means.shape == (10, 3)
    assert "kl" not in r["history"][0] and "kl" in r["history"][1]
    assert r["z_train"].shape == (r["n_train"], 3) and len(r["labelled"]) == r["n_labelled"]
    np.testing.assert_allclose(r["z_train"][:5], r["model"].embed(prepare(r["model"].cfg)[1][:5]), rtol=1e-5, atol=1e-6)


def test_fitted_gmm_log_prob_matches_sklearn():
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(-2, 0.5, (200, 2)), rng.normal(2, 1.0, (100, 2))]).astype(np.float32)
    p = priors.fitted_gmm(z, 2, seed=0)
    ref = GaussianMixture(2, covariance_type="diag", random_state=0, reg_covar=1e-4).fit(z).score_samples(z)
    np.testing.assert_allclose(p.log_prob(torch.as_tensor(z)).numpy(), ref, rtol=1e-4, atol=1e-4)


def test_vampprior_kl_is_mc_kl_to_the_encoded_pseudo_inputs():
    torch.manual_seed(0)
    enc = Encoder((1, 8, 8), 3, hidden=(16,), gaussian=True)
    vp = priors.VampPrior(enc, torch.rand(5, 1, 8, 8))
    x = torch.rand(4, 1, 8, 8)
    e = enc(x, sample=True)
    with torch.no_grad():
        kl = vp.kl(e).item()
        pe = enc(torch.sigmoid(vp.pseudo_logits), sample=False)
        ref = []
        for i in range(4):
            log_q = losses.log_normal_diag(e.z[i], e.mu[i], e.logvar[i]).item()
            comps = [losses.log_normal_diag(e.z[i], pe.mu[k], pe.logvar[k]).item() for k in range(5)]
            log_p = math.log(sum(math.exp(c) for c in comps) / 5)
            ref.append(log_q - log_p)
    assert kl == pytest.approx(float(np.mean(ref)), rel=1e-4)
    assert len(list(vp.parameters())) == 1  # only the pseudo-inputs: the encoder is not registered twice


def test_unit_prior_kl_is_the_closed_form_loop():
    e = Encoder((1, 8, 8), 2, hidden=(8,), gaussian=True)(torch.rand(3, 1, 8, 8))
    ref = np.mean(
        [
            sum(0.5 * (m * m + math.exp(lv) - 1 - lv) for m, lv in zip(mr, lr))
            for mr, lr in zip(e.mu.tolist(), e.logvar.tolist())
        ]
    )
    assert priors.UnitGaussianPrior().kl(e).item() == pytest.approx(ref, rel=1e-5)


def test_paper_kl_variant_trains_and_is_labelled():
    r = run(RunConfig(model="dml_gmm_prior", kl="paper", pl_pct=10, **FAST), keep_model=True)
    assert r["config"]["kl"] == "paper" and r["model"].prior.variant == "paper"


@pytest.mark.parametrize(
    "field,value,allowed",
    [
        ("model", "vae", "dml_autoencoder"),
        ("loss", "contrastive", "supcon"),
        ("routine", "epochwise", "joint"),
        ("alpha", 0, "(0, 1]"),
        ("alpha", 1.5, "(0, 1]"),
        ("gamma", -1, "[0, inf]"),
        ("beta", -0.1, "[0, inf]"),
        ("lsdim", 0, "[1, 1024]"),
        ("lsdim", 2.5, "integer"),
        ("mining", "easy", "semihard"),
        ("kl", "mc", "paper"),
        ("device", "tpu", "cuda"),
        ("dataset", "cifar", "organamnist"),
        ("pl_pct", 0, "(0, 100]"),
    ],
)
def test_bad_config_names_parameter_and_allowed(field, value, allowed):
    with pytest.raises(DmlvaeError) as e:
        RunConfig(**{field: value})
    assert field in str(e.value) and allowed in str(e.value) and repr(value) in str(e.value)


def test_dml_needs_supervised_routine():
    with pytest.raises(DmlvaeError, match="allowed for dml: supervised"):
        RunConfig(model="dml", routine="joint")
    with pytest.raises(DmlvaeError, match="dml-then-gmm"):
        RunConfig(model="dml_autoencoder", routine="dml-then-gmm")


def test_config_key_is_stable_and_sensitive():
    a = RunConfig(model="mvae", alpha="0.5")
    assert a.key() == RunConfig(model="mvae", alpha=0.5).key()
    assert a.key() != RunConfig(model="mvae", alpha=0.25).key()
    assert a.key() == RunConfig(model="mvae", data_dir="/elsewhere").key()
    assert RunConfig.from_dict(a.to_dict()).to_dict() == a.to_dict()


def test_models_build_on_mnist_shapes():
    for m in MODELS:
        cfg = RunConfig(model=m, lsdim=2, n_pseudo=4, net="conv")
        model = build(cfg, (1, 28, 28), 10, init_images=torch.rand(8, 1, 28, 28))
        x = torch.rand(6, 1, 28, 28)
        assert model.embed(x).shape == (6, 2)
        if model.decoder is not None:
            assert model.reconstruct(x).shape == x.shape


def test_cli_train_writes_run_json_and_latents(run_cli, tmp_path):
    out, z = tmp_path / "run.json", tmp_path / "z.npz"
    code, stdout, err = run_cli(
        "train",
        "--dataset",
        "digits",
        "--model",
        "dml_unit_prior",
        "--epochs",
        "2",
        "--lsdim",
        "3",
        "--pl-pct",
        "10",
        "--out",
        out,
        "--save-latents",
        z,
    )
    assert code == 0, err
    d = json.loads(out.read_text())
    assert d["config"]["routine"] == "alternating-epoch" and d["config"]["batch_size"] == 256  # resolved defaults
    assert set(d["metrics"]) >= {"knn_acc", "knn_ami"} and len(d["history"]) == 2 and d["wall_time"] > 0
    assert 0 < d["cpu_time"] <= d["wall_time"] * d["threads"] + 0.5  # CPU seconds of the run, all its threads
    npz = np.load(z)
    assert npz["z"].shape == (450, 3) and npz["y"].shape == (450,)
    assert json.loads(stdout)["metrics"] == d["metrics"]


def test_cli_train_bad_value_is_one_line(run_cli):
    code, out, err = run_cli("train", "--dataset", "digits", "--alpha", "2")
    assert code == 2 and "alpha" in err and "(0, 1]" in err and "Traceback" not in err


class _Recorder(torch.nn.Module):
    """A metric loss that records what it was given."""

    def forward(self, z, y):
        self.seen = z.detach().clone()
        return z.sum() * 0.0


@pytest.mark.parametrize("model", ["dml_unit_prior", "dml_gmm_prior", "mvae"])
def test_metric_loss_sees_the_sampled_z_by_default(model):
    """Algorithms 3 and 5 sample z ~ N(mu, sigma) and then compute m(z, y); metric_on='mu' is the departure."""
    import dataclasses

    field = {f.name: f for f in dataclasses.fields(RunConfig)}["metric_on"]
    assert field.default == "z" and field.metadata["origin"] == "paper"
    torch.manual_seed(0)
    x, y = torch.rand(16, 1, 8, 8), torch.randint(3, (16,))
    for metric_on, sampled in (("z", True), ("mu", False)):
        cfg = RunConfig(model=model, metric_on=metric_on, **FAST)
        m = build(cfg, (1, 8, 8), 10, init_images=torch.rand(32, 1, 8, 8))
        m.metric = _Recorder()
        m.train()
        m.supervised_terms(x, y)
        mu = m.encoder(x, sample=False).mu.detach()
        assert torch.equal(m.metric.seen, mu) is not sampled, metric_on


def test_alternate_first_sets_which_phase_comes_first():
    from dmlvae.core.routines import step_weights

    sup = RunConfig(model="dml_autoencoder", alpha=0.25, **FAST)
    uns = sup.replace(alternate_first="unsupervised")
    assert [step_weights(sup, e, 0)[:2] for e in range(3)] == [(0.75, 0.25), (0.0, 0.25), (0.75, 0.25)]
    assert [step_weights(uns, e, 0)[:2] for e in range(3)] == [(0.0, 0.25), (0.75, 0.25), (0.0, 0.25)]
    batch = uns.replace(routine="alternating-batch")
    assert [step_weights(batch, 0, s)[0] for s in range(4)] == [0.0, 0.75, 0.0, 0.75]
    r = run(RunConfig(model="dml_gmm_prior", pl_pct=10, alternate_first="unsupervised", **FAST))
    assert [row["phase"] for row in r["history"]] == ["unsupervised", "supervised"]
    assert "metric" not in r["history"][0] and "metric" in r["history"][1]
    with pytest.raises(DmlvaeError, match="alternate_first.*allowed: supervised, unsupervised"):
        RunConfig(alternate_first="labelled")


def test_hypercube_gmm_factorises_into_1d_pairs():
    """The 2^d-component hypercube GMM equals a product of d independent pairs 1/2 N(-1, s^2) + 1/2 N(+1, s^2)."""
    z = torch.randn(50, 3, dtype=torch.float64) * 2
    for logvar in (1.0, 0.0, -1.5):
        gmm = priors.hypercube_gmm(3, logvar)
        means = gmm.means.double()
        np.testing.assert_allclose(
            priors.hypercube_factor_log_prob(z, logvar).numpy(),
            losses.log_mixture(z, means, logvar).numpy(),
            rtol=1e-10,
        )


@pytest.mark.parametrize("logvar,modes", [(1.0, 1), (0.5, 1), (0.0, 1), (-0.1, 2), (-1.0, 2), (-3.0, 2)])
def test_pair_modes_matches_closed_form(logvar, modes):
    """Two equal Gaussians at -1 and +1 with sd s: one mode iff s >= 1; the paper's logvar 1 gives s = 1.65."""
    assert priors.pair_modes(logvar) == modes
    assert (math.exp(0.5 * logvar) >= 1) == (modes == 1)


def test_mvae_default_is_a_working_vae_not_a_collapsed_posterior():
    """gamma = 0 MetricVAE on an MNIST subset: with the default reconstruction (summed per image) the KL stays
    well above 0 and the sampled z carries the class; per-pixel MSE beside the summed KL collapses it."""
    assert RunConfig(model="mvae").recon == "image-sum" and RunConfig(model="dml_autoencoder").recon == "pixel-mean"
    cfg = RunConfig(
        dataset="mnist",
        model="mvae",
        routine="joint",
        gamma=0.0,
        pl_pct=100,
        lsdim=5,
        epochs=8,
        batch_size=128,
        n_pseudo=32,
        hidden=(256, 128),
        train_subset=3000,
        test_subset=500,
    )
    working = run(cfg)
    assert working["history"][-1]["kl"] > 0.5
    assert working["metrics_by_protocol"]["test-cv/sampled-z"]["knn_acc"] > 0.2
    collapsed = run(cfg.replace(recon="pixel-mean"))
    assert collapsed["history"][-1]["kl"] < 0.05


def test_mvae_unsupervised_loss_is_recon_plus_beta_kl():
    torch.manual_seed(0)
    x = torch.rand(8, 1, 8, 8)
    for beta in (1.0, 0.25):
        m = build(RunConfig(model="mvae", beta=beta, **FAST), (1, 8, 8), 10, init_images=torch.rand(32, 1, 8, 8))
        torch.manual_seed(1)
        t = m.unsupervised_terms(x)
        assert t["L_U"].item() == pytest.approx(t["recon"].item() + beta * t["kl"].item(), rel=1e-6)
        torch.manual_seed(1)  # the same sampled z again: the reconstruction error is summed over each image
        ref = ((m.decoder(m.encoder(x).z) - x) ** 2).sum((1, 2, 3)).mean()
        assert t["recon"].item() == pytest.approx(ref.item(), rel=1e-6)


@pytest.mark.parametrize(
    "model,routine",
    [
        ("dml", "supervised"),
        ("dml_autoencoder", "alternating-epoch"),
        ("dml_autoencoder", "alternating-batch"),
        ("mvae", "joint"),
        ("mvae", "dml-then-gmm"),
        ("dml_gmm_prior", "alternating-epoch"),
    ],
)
def test_labels_outside_the_labelled_subset_are_never_read(model, routine, monkeypatch):
    """Scrambling every label outside the labelled subset leaves every latent bit-identical; scrambling the
    labelled ones does not (so the test can fail)."""
    import dmlvae.core.train as T

    cfg = RunConfig(model=model, routine=routine, pl_pct=5, dml_epochs=1 if routine == "dml-then-gmm" else None, **FAST)
    base = T.run(cfg)["z_test"]
    original = T.prepare

    def scrambled(inside):
        def prep(c):
            ds, x, y, lab, xt, yt = original(c)
            mask = torch.zeros(len(y), dtype=torch.bool)
            mask[lab] = True
            if not inside:
                mask = ~mask
            idx = torch.nonzero(mask).flatten()
            y = y.clone()
            y[idx] = (y[idx] + 1 + torch.randint(9, (len(idx),), generator=torch.Generator().manual_seed(5))) % 10
            return ds, x, y, lab, xt, yt

        return prep

    monkeypatch.setattr(T, "prepare", scrambled(inside=False))
    np.testing.assert_array_equal(base, T.run(cfg)["z_test"])
    monkeypatch.setattr(T, "prepare", scrambled(inside=True))
    assert not np.array_equal(base, T.run(cfg)["z_test"])


def test_joint_routine_weights_metric_by_gamma_and_unsupervised_by_one():
    from dmlvae.core.routines import step_weights

    cfg = RunConfig(model="mvae", routine="joint", gamma=3.0, **FAST)
    assert [step_weights(cfg, e, s)[:2] for e, s in ((0, 0), (1, 5))] == [(3.0, 1.0), (3.0, 1.0)]
    gmm = RunConfig(
        model="mvae", routine="dml-then-gmm", gamma=2.0, epochs=4, **{k: v for k, v in FAST.items() if k != "epochs"}
    )
    assert [step_weights(gmm, e, 0)[:2] for e in range(4)] == [(1.0, 0.0), (1.0, 0.0), (2.0, 1.0), (2.0, 1.0)]


def test_the_model_field_documents_every_model_it_accepts():
    """The --model help and the assumptions page read this doc: a model added to MODELS must be named there."""
    import dataclasses

    from dmlvae.core import config

    doc = {f.name: f for f in dataclasses.fields(config.RunConfig)}["model"].metadata["doc"]
    assert all(re.search(rf"\b{m}\b", doc) for m in config.MODELS), doc
