"""The training routines (dmlvae.core.routines): what each step weighs and sees."""

import numpy as np
import pytest
import torch

from dmlvae import DmlvaeError
from dmlvae.core import models, priors, routines
from dmlvae.core import train as T
from dmlvae.core.config import RunConfig
from dmlvae.core.models import build
from dmlvae.core.train import prepare, run

FAST = dict(dataset="digits", epochs=2, lsdim=4, batch_size=128, n_pseudo=32, hidden=(64, 32))


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


def test_joint_routine_weights_metric_by_gamma_and_unsupervised_by_one():
    from dmlvae.core.routines import step_weights

    cfg = RunConfig(model="mvae", routine="joint", gamma=3.0, **FAST)
    assert [step_weights(cfg, e, s)[:2] for e, s in ((0, 0), (1, 5))] == [(3.0, 1.0), (3.0, 1.0)]
    gmm = RunConfig(
        model="mvae", routine="dml-then-gmm", gamma=2.0, epochs=4, **{k: v for k, v in FAST.items() if k != "epochs"}
    )
    assert [step_weights(gmm, e, 0)[:2] for e in range(4)] == [(1.0, 0.0), (1.0, 0.0), (2.0, 1.0), (2.0, 1.0)]


DIGITS = dict(dataset="digits", epochs=2, lsdim=8, hidden=(64,), batch_size=128, device="cpu")


def _digits_fit(y_override=None, **kw):
    cfg = RunConfig(**{**DIGITS, "model": "dml_labelprop", "pl_pct": 5, "lp_every": 1, **kw})
    torch.manual_seed(cfg.seed)
    ds, x, y, labelled, x_te, y_te = T.prepare(cfg)
    if y_override is not None:
        y = y_override(y, labelled)
    model = models.build(cfg, ds.image_shape, ds.n_classes)
    hist = routines.fit(model, x, y, labelled, cfg, n_classes=ds.n_classes)
    return model, hist, x, y, labelled, x_te


def test_label_propagation_never_reads_an_unlabelled_label():
    def scramble(y, labelled):
        out = torch.randint(0, 10, y.shape, generator=torch.Generator().manual_seed(5))
        out[labelled] = y[labelled]
        return out

    a, _, x, _, _, x_te = _digits_fit()
    b, _, _, _, _, _ = _digits_fit(scramble)
    np.testing.assert_array_equal(a.embed(x_te), b.embed(x_te))
    for p, q in zip(a.pseudo_label_history, b.pseudo_label_history):
        np.testing.assert_array_equal(p, q)


def test_label_propagation_propagates_every_lp_every_epochs_and_beats_the_labels_alone():
    model, hist, x, y, labelled, _ = _digits_fit(epochs=3, lp_every=2)
    assert [h.get("propagated", False) for h in hist] == [True, False, True]
    assert len(model.pseudo_label_history) == 2
    pseudo = model.pseudo_label_history[0]
    y_np, lab = y.numpy(), labelled.numpy()
    np.testing.assert_array_equal(pseudo[lab], y_np[lab])
    # 67 labels of 1,347 images: the propagated labels are right far more often than chance and than 1-NN on pixels
    from sklearn.neighbors import KNeighborsClassifier

    flat = x.numpy().reshape(len(x), -1)
    nn1 = KNeighborsClassifier(1).fit(flat[lab], y_np[lab]).predict(flat)
    assert (pseudo == y_np).mean() > (nn1 == y_np).mean() + 0.03 > 0.5


def test_latent_first_graph_warms_up_on_the_labels_alone():
    model, hist, *_ = _digits_fit(epochs=3, lp_every=2, lp_first_graph="latent")
    assert [h["phase"] for h in hist] == ["dml (labelled only)", "dml (labelled only)", "pseudo-labelled"]
    assert [h.get("propagated", False) for h in hist] == [False, False, True]


def test_the_sgd_optimiser_is_the_paper_s_plain_step_and_adam_is_the_default():
    """Algorithms 1-3 and 5 print theta = theta - gamma dc/dtheta: optimizer="sgd" takes that step exactly."""
    import torch

    from dmlvae.core import config, routines

    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    before = [p.detach().clone() for p in net.parameters()]
    x = torch.randn(4, 3)
    cfg = config.RunConfig(optimizer="sgd", lr=0.1)
    opt = routines._optimiser(net, x, cfg)
    net(x).pow(2).sum().backward()
    grads = [p.grad.clone() for p in net.parameters()]
    opt.step()
    for p, b, g in zip(net.parameters(), before, grads):
        torch.testing.assert_close(p.detach(), b - 0.1 * g)
    assert isinstance(routines._optimiser(net, x, config.RunConfig()), torch.optim.Adam)
    assert config.RunConfig(optimizer="sgd").key() != config.RunConfig().key()  # a run of its own
