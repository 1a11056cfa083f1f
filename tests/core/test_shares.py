"""Loss shares (dmlvae.core.shares) and the derived metric weight (RunConfig.metric_share), against hand computations
on fixed batches of real MNIST and digits images; the shares derived for old rows against the recorded ones."""

import math

import numpy as np
import pytest
import torch

from dmlvae import DmlvaeError
from dmlvae.core import data, routines, shares
from dmlvae.core.config import RunConfig
from dmlvae.core.models import build, unsupervised_weights
from dmlvae.core.train import run
from dmlvae.experiments.sweep import make_row

TINY = dict(dataset="digits", epochs=2, lsdim=4, hidden=(32,), n_pseudo=16, pl_pct=10, device="cpu")
# a joint MetricVAE small enough that one step on one 512-image MNIST batch is checked by hand
ONE_BATCH = dict(
    dataset="mnist", model="mvae", routine="joint", epochs=1, batch_size=512, lsdim=4, hidden=(32,), n_pseudo=8
)


@pytest.fixture(scope="module")
def mnist_batch():
    """300 real MNIST images (28 x 28 = 784 pixels) and their labels; the first 100 are the labelled ones."""
    x, y = data.load("mnist").split("train")
    return torch.as_tensor(x[:300]), torch.as_tensor(y[:300]), torch.arange(100)


def one_step(cfg, x, y, labelled, seed=7):
    """Train ``cfg`` for one epoch of ONE step (batch_size >= len(x)) from a fixed initialisation, and replay that
    step by hand: (recorded history, the model as it was before the step, its encoding of the step's images, the
    labelled and unlabelled batches)."""
    torch.manual_seed(seed)
    model = build(cfg, (1, 28, 28), 10, init_images=x[: cfg.n_pseudo])
    before = build(cfg, (1, 28, 28), 10, init_images=x[: cfg.n_pseudo])
    before.load_state_dict(model.state_dict())
    rng = torch.get_rng_state()
    history = routines.fit(model, x, y, labelled, cfg)
    # the step's batches, drawn as fit draws them, and its reparameterisation noise (torch's global state)
    gen = torch.Generator().manual_seed(cfg.seed)
    perm = torch.randperm(len(x), generator=gen)
    pick = routines._labelled_batch(labelled, cfg.batch_size, gen)
    x_lab, y_lab, x_unl = x[labelled[pick]], y[labelled][pick], x[perm]
    torch.set_rng_state(rng)
    with torch.no_grad():
        enc = before.encoder(torch.cat([x_lab, x_unl]))
    return history, before, enc, (x_lab, y_lab, x_unl)


def hand_terms(model, enc, batches, cfg):
    """The step's three terms by hand, in float64: the metric loss on the labelled z, the squared error of the
    unlabelled images (summed over each image's 784 pixels, or averaged over all pixels), and the KL."""
    x_lab, y_lab, x_unl = batches
    n = len(x_lab)
    with torch.no_grad():
        metric = model.metric(enc.z[:n], y_lab).double().item()
        x_hat = model.decoder(enc.z[n:]).double().numpy()
        err = (x_hat - x_unl.double().numpy()) ** 2
        per_image = np.array([sum(float(v) for v in img.ravel()) for img in err])  # a loop over every pixel
        recon = per_image.mean() if cfg.recon == "image-sum" else per_image.sum() / err.size
        from dmlvae.core.nets import Encoding

        kl = model.prior.kl(Encoding(enc.z[n:], enc.mu[n:], enc.logvar[n:])).double().item()
    return metric, recon, kl


@pytest.mark.parametrize("recon", ["image-sum", "pixel-mean"])
def test_weighted_terms_equal_a_hand_computation_on_a_fixed_batch(mnist_batch, recon):
    x, y, labelled = mnist_batch
    cfg = RunConfig(**ONE_BATCH, gamma=3.0, beta=0.25, recon=recon, seed=5)
    history, model, enc, batches = one_step(cfg, x, y, labelled)
    metric, rec, kl = hand_terms(model, enc, batches, cfg)
    got = history[0]["weighted"]
    # gamma weighs the metric loss, 1 the reconstruction, beta the KL: swapped weights or a reduction wrong by
    # the 784 pixels fail here
    assert got["metric"] == pytest.approx(3.0 * metric, rel=1e-5)
    assert got["recon"] == pytest.approx(rec, rel=1e-5)
    assert got["kl"] == pytest.approx(0.25 * kl, rel=1e-4, abs=1e-6)
    total = 3.0 * metric + rec + 0.25 * kl
    row = {"config": cfg.to_dict(), "history": history, "n_train": len(x)}
    want = {"metric": 3.0 * metric / total, "recon": rec / total, "kl": 0.25 * kl / total}
    for k, v in shares.of_epoch(row)["shares"].items():
        assert v == pytest.approx(want[k], rel=1e-4, abs=1e-7), k
    assert shares.derived(row) == pytest.approx(got, rel=1e-9)


def test_pixel_mean_reconstruction_is_torch_mse_loss_and_784_times_smaller(mnist_batch):
    x, y, labelled = mnist_batch
    cfgs = {r: RunConfig(**ONE_BATCH, gamma=2.0, recon=r) for r in ("pixel-mean", "image-sum")}
    torch.manual_seed(0)
    model = build(cfgs["pixel-mean"], (1, 28, 28), 10, init_images=x[:8])
    with torch.no_grad():
        enc = model.encoder(x, sample=False)
        mse = torch.nn.MSELoss()(model.decoder(enc.z), x).item()
        assert model.unsupervised_terms(x, enc)["recon"].item() == pytest.approx(mse, rel=1e-6)
        model.cfg = cfgs["image-sum"]
        assert model.unsupervised_terms(x, enc)["recon"].item() == pytest.approx(784 * mse, rel=1e-5)
    # the same first step under the two reductions: the recorded reconstruction is 784 times larger summed
    steps = {r: one_step(c, x, y, labelled)[0][0]["weighted"] for r, c in cfgs.items()}
    assert steps["image-sum"]["recon"] / steps["pixel-mean"]["recon"] == pytest.approx(784, rel=1e-5)
    assert steps["image-sum"]["metric"] == pytest.approx(steps["pixel-mean"]["metric"], rel=1e-6)


@pytest.mark.parametrize(
    "changes",
    [
        dict(model="mvae", routine="joint", gamma=2.0, beta=0.5),
        dict(model="mvae", routine="alternating-epoch", alpha=0.3, epochs=3),
        dict(model="mvae", routine="alternating-batch", alpha=0.6, batch_size=200),  # 7 steps an epoch: odd parity
        dict(model="mvae", routine="dml-then-gmm", gamma=4.0, epochs=3),
        dict(model="dml_autoencoder", routine="alternating-epoch", alpha=0.5, alternate_first="unsupervised"),
        dict(model="dml_unit_prior", routine="joint", gamma=0.5),
        dict(model="dml_gmm_prior", routine="alternating-batch", alpha=0.25, lsdim=2),
    ],
)
def test_shares_derived_for_old_rows_equal_the_recorded_ones(changes):
    cfg = RunConfig(**{**TINY, "batch_size": 128, **changes})
    r = run(cfg)
    row = {"config": cfg.to_dict(), "history": r["history"], "n_train": r["n_train"]}
    for i in range(len(r["history"])):
        recorded = shares.epoch_terms(row, i)
        assert set(recorded) == {"metric", *unsupervised_weights(cfg)}  # a term left out of an epoch counts 0
        assert shares.derived(row, i) == pytest.approx(recorded, rel=1e-6, abs=1e-9), (i, r["history"][i])


def test_the_alternating_routine_ends_on_an_epoch_without_the_metric_term():
    cfg = RunConfig(**{**TINY, "model": "mvae", "routine": "alternating-epoch", "epochs": 4, "batch_size": 128})
    row = make_row(4, "smoke", cfg, run(cfg), None, 1.0, "digits")
    s = row["loss_shares"]
    assert s["final"]["epoch"] == 3 and s["final"]["shares"]["metric"] == 0  # supervised first: 0, 2 supervised
    assert s["last_metric"]["epoch"] == 2 and 0 < s["last_metric"]["shares"]["metric"] < 1
    assert sum(s["last_metric"]["shares"].values()) == pytest.approx(1)
    assert shares.columns(row, "last_metric")["metric share"] == s["last_metric"]["shares"]["metric"]
    # a stored row without the summary (the shipped rows) gives the same columns from its history
    assert shares.columns({k: v for k, v in row.items() if k != "loss_shares"}) == shares.columns(row)


def test_metric_share_sets_the_metric_term_share_of_the_first_step(mnist_batch):
    x, y, labelled = mnist_batch
    for share in (0.01, 0.5, 0.9):
        cfg = RunConfig(**ONE_BATCH, metric_share=share, lr=1e-8, seed=2)
        history, model, enc, batches = one_step(cfg, x, y, labelled)
        metric, rec, kl = hand_terms(model, enc, batches, cfg)
        h = history[0]
        assert h["start_metric"] == pytest.approx(metric, rel=1e-5)
        assert h["start_L_U"] == pytest.approx(rec + kl, rel=1e-5)
        assert h["gamma"] == pytest.approx(share / (1 - share) * (rec + kl) / metric, rel=1e-5)
        # the first (and only) step's batches are the ones the share was measured on
        assert shares.of_epoch({"history": history})["shares"]["metric"] == pytest.approx(share, rel=1e-5)


def test_a_derived_gamma_trains_exactly_as_that_gamma_given():
    a = run(RunConfig(**{**TINY, "model": "mvae", "routine": "joint", "metric_share": 0.3, "batch_size": 128}))
    gamma = a["history"][0]["gamma"]
    assert all(h["gamma"] == gamma for h in a["history"])
    b = run(RunConfig(**{**TINY, "model": "mvae", "routine": "joint", "gamma": gamma, "batch_size": 128}))
    for ha, hb in zip(a["history"], b["history"]):  # looking at the untrained model changed no random draw
        for k in ("loss", "metric", "recon", "kl"):
            assert ha[k] == pytest.approx(hb[k], rel=1e-6), k
    assert a["metrics"]["knn_acc"] == b["metrics"]["knn_acc"]


def test_metric_share_errors_name_the_value_and_what_is_allowed():
    with pytest.raises(DmlvaeError, match=r"metric_share must be a number in \(0, 1\); got 1"):
        RunConfig(model="mvae", routine="joint", metric_share=1)
    with pytest.raises(DmlvaeError, match="routine 'alternating-epoch' .* allowed: joint"):
        RunConfig(model="mvae", routine="alternating-epoch", metric_share=0.5)
    with pytest.raises(DmlvaeError, match="gamma 2 with metric_share 0.5"):
        RunConfig(model="mvae", routine="joint", gamma=2, metric_share=0.5)
    # a run key is unchanged by the new field at its default (the shipped rows stay current)
    assert (
        RunConfig(model="mvae", routine="joint").key()
        == RunConfig(model="mvae", routine="joint", metric_share=None).key()
    )
    assert (
        RunConfig(model="mvae", routine="joint", metric_share=0.5).key()
        != RunConfig(model="mvae", routine="joint").key()
    )


def test_share_gamma_refuses_losses_that_cannot_give_a_share():
    assert routines.share_gamma(0.5, 2.0, 8.0) == 4.0  # gamma * 2 / (8 + gamma * 2) = 0.5
    assert routines.share_gamma(0.9, 1.0, 1.0) == pytest.approx(9.0)
    for l_s, l_u in ((0.0, 1.0), (1.0, math.nan), (-1.0, 1.0)):
        with pytest.raises(routines.DivergedError, match="metric share needs both finite and positive"):
            routines.share_gamma(0.5, l_s, l_u)


def test_fmt_share_keeps_the_digits_a_small_share_needs():
    assert [shares.fmt_share(v) for v in (0.0, 0.006, 0.0000059, 0.14, 0.5, float("nan"))] == [
        "0 %",
        "0.60 %",
        "0.00059 %",
        "14 %",
        "50 %",
        "-",
    ]


def test_metric_share_errors_through_the_cli(run_cli):
    code, out, err = run_cli(
        "train", "--dataset", "digits", "--model", "mvae", "--routine", "alternating-epoch", "--metric-share", "0.5"
    )
    assert code == 2 and not out
    assert err.strip().splitlines() == [
        "error: metric_share 0.5 sets the weight of the joint routine's metric term "
        "from the start of training; routine 'alternating-epoch' has no such weight; "
        "allowed: joint"
    ]
