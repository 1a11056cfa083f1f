"""RunConfig (dmlvae.core.config): its checks, its key, its documented fields."""

import json
import re

import pytest

from dmlvae import DmlvaeError
from dmlvae.core.config import RunConfig


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


def test_the_model_field_documents_every_model_it_accepts():
    """The --model help and the assumptions page read this doc: a model added to MODELS must be named there."""
    import dataclasses

    from dmlvae.core import config

    doc = {f.name: f for f in dataclasses.fields(config.RunConfig)}["model"].metadata["doc"]
    assert all(re.search(rf"\b{m}\b", doc) for m in config.MODELS), doc


def test_graph_and_vae_fields_enter_only_vae_graphs_key():
    assert RunConfig(model="dml", graph_k=30, vae_epochs=5).key() == RunConfig(model="dml").key()
    base = RunConfig(model="vae_graph")
    for change in (
        {"graph_k": 30},
        {"vae_epochs": 5},
        {"graph_method": "poisson", "graph_priors": "none"},
        {"vae_hidden": (100,)},
    ):
        assert RunConfig(model="vae_graph", **change).key() != base.key(), change


# ------------------------------------------------------------------------------------------ config keys
def test_new_fields_at_their_defaults_keep_the_stored_keys():
    """Rows stored before the new fields existed keep their keys (else hours of results would re-run)."""
    from pathlib import Path

    rows = [json.loads(line) for line in Path("results/paper.jsonl").read_text().splitlines()[:5]]
    assert rows
    for row in rows:
        cfg = {k: v for k, v in row["config"].items() if k not in ("distance", "lp_k", "validation")}
        assert RunConfig.from_dict(cfg).key() == row["key"]
    base = RunConfig()
    assert base.replace(lp_k=20).key() == base.key()  # dml reads no lp_* field
    assert base.replace(validation=100).key() != base.key()
    lp = RunConfig(model="dml_labelprop")
    assert lp.replace(lp_k=20).key() != lp.key() != lp.replace(lp_k=10).key()
