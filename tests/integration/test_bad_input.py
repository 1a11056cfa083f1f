"""Bad input through the CLI, the Python API and papermill parameters: one clear error that names the bad
value (and what is allowed), exit status 2, no traceback, nothing trained first."""

import gzip
import struct
import subprocess
import sys
from pathlib import Path

import fakes
import numpy as np
import pytest
import torch

from dmlvae import DmlvaeError, cli, pages
from dmlvae.core import data
from dmlvae.core.config import RunConfig
from dmlvae.experiments import profiles, store, sweep

NO_CUDA = not torch.cuda.is_available()


def write_idx(path: Path, array: np.ndarray) -> None:
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def idx_dir(root: Path, n_train=20, n_train_labels=20) -> Path:
    folder = root / "fashion-mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    write_idx(folder / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (n_train, 28, 28)))
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.arange(n_train_labels) % 10)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (10, 28, 28)))
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.arange(10) % 10)
    return folder


@pytest.fixture
def cli_error(capsys):
    """Run the CLI in this process; assert exit 2 and one 'error:' line; return that line."""

    def run(*argv):
        data._load_cached.cache_clear()
        code = cli.main([str(a) for a in argv])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2, (argv, code, err)
        errors = [line for line in err if line.startswith("error: ")]
        assert len(errors) == 1, err
        return errors[0]

    return run


# (argv, words the message must contain): RunConfig fields through `train`
TRAIN_CASES = [
    (["--lsdim", "1e8"], ["lsdim", "1e8", "[1, 1024]"]),
    (["--lsdim", "2.5"], ["lsdim", "2.5", "integer"]),
    (["--seed", "4294967296"], ["seed", "4294967296", "4294967295"]),
    (["--seed", "-1"], ["seed", "-1"]),
    (["--model", "mvae", "--routine", "dml-then-gmm", "--gmm-components", "100000"], ["gmm_components", "100000"]),
    (["--model", "dml_gmm_prior", "--gmm-logvar", "-1e4"], ["gmm_logvar", "-1e4", "[-20.0, 20.0]"]),
    (["--model", "dml_gmm_prior", "--gmm-logvar", "nan"], ["gmm_logvar", "nan"]),
    (["--model", "dml_gmm_prior", "--lsdim", "17"], ["lsdim 17", "1 to 16"]),
    (["--hidden", "0"], ["hidden", "0"]),
    (["--distance", "cosine"], ["distance", "cosine", "euclidean, geodesic"]),
    (["--distance", "geodesic"], ["geodesic", "decoder", "'dml'", "dml_autoencoder, mvae"]),
    (["--model", "dml_autoencoder", "--distance", "geodesic"], ["geodesic", "mining 'hard'", "'all'"]),
    (
        ["--model", "dml_autoencoder", "--distance", "geodesic", "--mining", "hard", "--geodesic-segments", "0"],
        ["geodesic_segments", "0"],
    ),
    (["--model", "dml_labelprop", "--routine", "joint"], ["'joint'", "dml_labelprop", "label-propagation"]),
    (["--routine", "label-propagation"], ["'label-propagation'", "'dml'", "dml_labelprop"]),
    (["--model", "dml_labelprop", "--lp-alpha", "1"], ["lp_alpha", "1", "(0, 1)"]),
    (["--model", "dml_labelprop", "--lp-k", "0"], ["lp_k", "0"]),
    (["--model", "dml_labelprop", "--lp-first-graph", "raw"], ["lp_first_graph", "raw", "pixels, latent"]),
    (["--validation", "5"], ["validation", "5"]),
    (["--dataset", "digits", "--validation", "5000"], ["validation 5000", "1347", "10 to 1346"]),
    (["--hidden", "100000"], ["hidden", "100000"]),
    (["--hidden", "8,8,8,8,8,8,8,8,8"], ["hidden", "at most 8"]),
    (["--hidden", ""], ["hidden", "at least 1"]),
    (["--epochs", "0"], ["epochs", "0"]),
    (["--epochs", "1e9"], ["epochs", "1e9"]),
    (["--batch-size", "1"], ["batch_size", "1"]),
    (["--n-pseudo", "0"], ["n_pseudo", "0"]),
    (["--alpha", "0"], ["alpha", "(0, 1]"]),
    (["--alpha", "nan"], ["alpha", "nan"]),
    (["--alpha", "abc"], ["alpha", "abc"]),
    (["--gamma", "-1"], ["gamma", "-1"]),
    (["--beta", "-0.5"], ["beta", "-0.5"]),
    (["--lr", "0"], ["lr", "0"]),
    (["--lr", "-1e-3"], ["lr", "-1e-3"]),
    (["--margin", "-1"], ["margin", "-1"]),
    (["--temperature", "0"], ["temperature", "0"]),
    (["--center-weight", "-1"], ["center_weight", "-1"]),
    (["--pl-pct", "0"], ["pl_pct", "(0, 100]"]),
    (["--pl-pct", "101"], ["pl_pct", "101"]),
    (["--pl-pct", "ten"], ["pl_pct", "ten"]),
    (["--dataset", "cifar"], ["cifar", "mnist, fashion-mnist, organamnist, digits"]),
    (["--model", "vae"], ["vae", "dml_autoencoder"]),
    (["--loss", "arcface"], ["arcface", "supcon"]),
    (["--routine", "epochwise"], ["epochwise", "alternating-epoch"]),
    (["--model", "dml", "--routine", "joint"], ["joint", "allowed for dml: supervised"]),
    (["--model", "dml_autoencoder", "--routine", "dml-then-gmm"], ["dml-then-gmm", "dml_gmm_prior"]),
    (["--mining", "easy"], ["easy", "semihard"]),
    (["--net", "resnet"], ["resnet", "mlp, conv"]),
    (["--kl", "mc"], ["mc", "correct, paper"]),
    (["--metric-on", "x"], ["'x'", "z, mu"]),
    (["--alternate-first", "labelled"], ["labelled", "supervised, unsupervised"]),
    (["--recon", "sum"], ["sum", "pixel-mean, image-sum"]),
    (["--policy", "balanced"], ["balanced", "uniform, stratified"]),
    (["--protocol", "holdout"], ["holdout", "test-cv"]),
    (["--probes", "svm"], ["svm", "knn, rf, mlp, linear"]),
    (["--eval-latents", "sample"], ["sample", "mu, z"]),
    (["--epochs", "4", "--dml-epochs", "9", "--model", "mvae", "--routine", "dml-then-gmm"], ["dml_epochs", "9"]),
    (["--train-subset", "5"], ["train_subset", "5"]),
    (["--test-subset", "abc"], ["test_subset", "abc"]),
    (["--device", "tpu"], ["tpu", "auto, cpu, cuda"]),
    (["--device", "cuda:x"], ["cuda:x", "cuda:N"]),
    (["--model", "mvae", "--routine", "dml-then-gmm", "--epochs", "1"], ["epochs 1", "GMM phase", "2 or more"]),
    (["--model", "vae_graph", "--graph-method", "laplace"], ["laplace", "poisson-mbo, poisson"]),
    (["--model", "vae_graph", "--graph-priors", "none"], ["poisson-mbo", "needs class priors", "uniform, labelled"]),
    (["--model", "vae_graph", "--vae-epochs", "0"], ["vae_epochs", "0"]),
]
if NO_CUDA:
    TRAIN_CASES += [
        (["--device", "cuda"], ["'cuda'", "not available", "auto, cpu"]),
        (["--device", "cuda:7"], ["'cuda:7'", "not available"]),
    ]


@pytest.mark.parametrize("argv,words", TRAIN_CASES, ids=[" ".join(a) for a, _ in TRAIN_CASES])
def test_train_bad_values(cli_error, argv, words):
    line = cli_error("train", "--dataset", "digits", *argv)
    for w in words:
        assert w in line, (w, line)


def test_api_gives_the_same_errors():
    for argv, words in TRAIN_CASES[:10]:
        kwargs = {}
        for flag, value in zip(argv[::2], argv[1::2]):
            kwargs[flag[2:].replace("-", "_")] = value
        with pytest.raises(DmlvaeError) as e:
            cfg = RunConfig(**kwargs)
            from dmlvae.core.train import check_device

            check_device(cfg.device)
        assert words[0] in str(e.value)


def test_gmm_components_beyond_the_training_images(cli_error):
    line = cli_error(
        "train",
        "--dataset",
        "digits",
        "--model",
        "mvae",
        "--routine",
        "dml-then-gmm",
        "--gmm-components",
        "999",
        "--train-subset",
        "100",
        "--epochs",
        "2",
    )
    assert "gmm_components 999" in line and "1 to 100" in line


def test_data_files_that_are_bad_are_named(cli_error, tmp_path):
    # a garbage MNIST .gz, a truncated one
    mnist = tmp_path / "g" / "mnist"
    mnist.mkdir(parents=True)
    for f in (
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ):
        (mnist / f).write_bytes(b"not gzip at all")
    line = cli_error("data", "mnist", "--data-dir", tmp_path / "g")
    assert "train-images-idx3-ubyte.gz" in line and str(mnist) in line
    folder = idx_dir(tmp_path / "t")
    raw = gzip.decompress((folder / "train-images-idx3-ubyte.gz").read_bytes())
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(raw[:5000]))
    line = cli_error("data", "fashion-mnist", "--data-dir", tmp_path / "t")
    assert "truncated" in line and "train-images-idx3-ubyte.gz" in line
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(raw)[:3000])  # a cut .gz stream
    line = cli_error("data", "fashion-mnist", "--data-dir", tmp_path / "t")
    assert "train-images-idx3-ubyte.gz" in line


def test_label_and_image_counts_must_agree(cli_error, tmp_path):
    idx_dir(tmp_path, n_train=20, n_train_labels=18)
    line = cli_error("data", "fashion-mnist", "--data-dir", tmp_path)
    assert "20 images but 18 labels" in line


@pytest.mark.parametrize("content", [b"", b"garbage", b"PK\x03\x04 broken zip"])
def test_bad_organamnist_npz_is_named_and_tables_fall_back(cli_error, tmp_path, monkeypatch, content):
    (tmp_path / "organamnist.npz").write_bytes(content)
    line = cli_error("data", "organamnist", "--data-dir", tmp_path, "--no-download")
    assert "organamnist.npz" in line
    monkeypatch.setenv("DMLVAE_DATA", str(tmp_path))
    data._load_cached.cache_clear()
    used, note = sweep.table_dataset(2)
    assert used == "fashion-mnist" and "organamnist.npz" in note


def test_data_dir_that_is_a_file(cli_error, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    line = cli_error("data", "mnist", "--data-dir", f)
    assert "is a file" in line and str(f) in line
    with pytest.raises(DmlvaeError, match="is a file"):
        data.load("digits", data_dir=f)


def test_data_checks_policy_and_seed_even_without_pl_pct(cli_error):
    assert "'foo'" in (line := cli_error("data", "digits", "--policy", "foo")) and "uniform, stratified" in line
    assert "seed" in (line := cli_error("data", "digits", "--seed", "-1")) and "-1" in line


def test_seeds_are_bounded_and_each_listed_seed_is_checked(cli_error, tmp_path):
    line = cli_error("sweep", "--table", "1", "--profile", "smoke", "--seeds", "1e9", "--results", tmp_path / "r")
    assert "seeds" in line and "1e9" in line and "1000" in line
    with pytest.raises(DmlvaeError, match="seed must be an integer"):
        profiles.seeds_arg([0, -3])
    with pytest.raises(DmlvaeError, match="1 to 1000 seeds"):
        profiles.seeds_arg([])


def test_seeds_may_name_a_range_or_a_list_and_a_bad_one_names_the_forms(cli_error, tmp_path):
    assert profiles.seeds_arg("10-14") == [10, 11, 12, 13, 14] and profiles.seeds_arg(" 3, 7,9") == [3, 7, 9]
    assert profiles.seeds_arg("3") == [0, 1, 2] and profiles.seeds_arg("4-4") == [4]
    for bad, words in (
        ("5-2", ["'5-2'", "A <= B"]),
        ("0-5000", ["'0-5000'", "1000 seeds"]),
        ("1,x", ["'1,x'", "a range A-B"]),
        ("3,7,3", ["[3, 7, 3]", "listed once"]),
        ("-3", ["'-3'", "a range A-B", "a list a,b,c"]),
    ):
        line = cli_error("sweep", "--table", "1", "--profile", "smoke", "--seeds", bad, "--results", tmp_path / "r")
        assert all(w in line for w in words), line
        line = cli_error("realistic", "--seeds", bad)
        assert all(w in line for w in words), line
    with pytest.raises(DmlvaeError, match="graph_seeds|seed"):
        pages.check_one("graph_seeds", "9-1")
    assert pages.check_one("graph_seeds", "10-14") == "10-14" and pages.check_one("graph_seeds", None) is None


def test_sweep_and_table_bad_input(cli_error, tmp_path):
    r = tmp_path / "r.jsonl"
    assert "7" in cli_error("sweep", "--table", "7", "--results", r)
    assert "smoke, quick, paper" in cli_error("sweep", "--table", "1", "--profile", "huge", "--results", r)
    for seeds in ("0", "-1", "abc"):
        assert "seeds" in cli_error("sweep", "--table", "1", "--seeds", seeds, "--results", r)
    assert "cifar" in cli_error("sweep", "--table", "1", "--dataset", "cifar", "--results", r)
    assert "is a directory" in cli_error("sweep", "--table", "1", "--dataset", "digits", "--results", tmp_path)
    # table: a missing file, a profile or dataset the file does not hold
    assert "does not exist" in cli_error("table", "1", "--results", tmp_path / "none.jsonl")
    sweep.sweep(
        1,
        "smoke",
        1,
        r,
        dataset="digits",
        progress=False,
        run_fn=lambda c: {"metrics": {"knn_acc": 0.5, "knn_ami": 0.1}, "metrics_by_protocol": {}},
    )
    line = cli_error("table", "1", "--results", r, "--profile", "paper")
    assert "no rows of profile 'paper'" in line and "smoke" in line
    assert "no rows on dataset 'mnist'" in cli_error("table", "1", "--results", r, "--dataset", "mnist")
    assert "no rows of Table 3" in cli_error("table", "3", "--results", r)
    assert "9" in cli_error("table", "9", "--results", r)
    assert "give --profile" in cli_error("table", "1")
    assert profiles.results_path("paper") == Path("results/paper.jsonl")
    # scorecard: the same checks, and its own --stand-in
    assert "does not exist" in cli_error("scorecard", "--results", tmp_path / "none.jsonl")
    assert "no rows of profile 'paper'" in cli_error("scorecard", "--results", r)
    assert "smoke, quick, paper" in cli_error("scorecard", "--profile", "huge", "--results", r)
    line = cli_error("scorecard", "--profile", "smoke", "--results", r, "--stand-in", "cifar")
    assert "cifar" in line and "fashion-mnist" in line
    assert "seeds" in cli_error("scorecard", "--profile", "smoke", "--results", r, "--seeds", "0")


def test_exploding_run_is_recorded_as_failed(tmp_path):
    f = tmp_path / "r.jsonl"
    cfgs = [RunConfig(dataset="digits", model="dml", pl_pct=100, lr=1e6, epochs=3, hidden=(64, 32))]
    counts = sweep.run_configs("lr", "smoke", cfgs, f, progress=False)
    assert counts["failed"] == 1
    row = store.Store(f).rows()[0]
    assert row["status"] == "failed" and "DivergedError" in row["reason"] and "lr 1e+06" in row["reason"]


def test_help_has_no_formatting_garbage():
    out = subprocess.run([sys.executable, "-m", "dmlvae", "train", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "0.01 %" in out.stdout and "%(" not in out.stdout and "{'" not in out.stdout


BOOK_CASES = [
    (["-p", "figure_alpha", "0.5"], ["figure_alpha", "0.5", "0.33, 0.66, 1.0"]),
    (["-p", "seeds", "0"], ["seeds", "0"]),
    (["-p", "dataset", "cifar"], ["cifar", "organamnist"]),
    (["-p", "stand_in", "svhn"], ["svhn", "fashion-mnist"]),
    (["-p", "figure6_epochs", "0"], ["figure6_epochs", "0"]),
    (["-p", "alpha", "2"], ["alpha", "(0, 1]"]),
    (["-p", "pl_pcts", "[0, 10]"], ["pl_pct", "(0, 100]"]),
    (["-p", "figure_dataset", "cifar"], ["figure_dataset", "no page takes"]),
    (["-p", "seeds", "[1, 2"], ["-p seeds", "not a YAML value", "quote a string"]),
    (["--profile", "huge"], ["huge", "smoke, quick, paper"]),
    (["--only", "07_nothing"], ["07_nothing", "allowed"]),
] + ([(["-p", "device", "cuda"], ["'cuda'", "not available"])] if NO_CUDA else [])


@pytest.mark.parametrize("argv,words", BOOK_CASES, ids=[" ".join(a) for a, _ in BOOK_CASES])
def test_book_parameters_are_checked_before_any_page_runs(argv, words, tmp_path):
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, str(root / "tools" / "execute_notebooks.py"), *argv, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 2, out.stderr[-2000:]
    assert "Traceback" not in out.stderr and not list(tmp_path.iterdir())  # no page ran
    for w in words:
        assert w in out.stderr, (w, out.stderr)


def test_a_page_checks_its_own_parameters_under_plain_papermill():
    with pytest.raises(DmlvaeError, match="figure_alpha 0.5 is not in Table 3's grid"):
        pages.check(figure_alpha=0.5)
    assert pages.check(profile="quick", seeds=2, dataset=None) == {"profile": "quick", "seeds": 2, "dataset": None}


def test_threads_is_recorded_and_checked(run_cli, tmp_path):
    """``--threads N`` sets torch's threads for the run (the row records it: an exact re-run needs it); a bad
    count, or one beside Ray workers (whose threads are --cpus-per-run), is one error line."""
    import json

    code, _, err = run_cli(
        "train",
        "--dataset",
        "digits",
        "--epochs",
        1,
        "--hidden",
        16,
        "--threads",
        1,
        "--out",
        tmp_path / "r.json",
        env={"OMP_NUM_THREADS": "2"},
    )
    assert code == 0, err
    assert json.loads((tmp_path / "r.json").read_text())["threads"] == 1
    for args, msg in (
        (("train", "--threads", "0"), "error: --threads must be an integer in [1, 1024]; got '0'"),
        (
            ("sweep", "--table", 1, "--threads", 2, "--workers", 2),
            "error: --threads 2 sets the threads of runs in this process; with --workers or --address "
            "each run's torch threads are its --cpus-per-run",
        ),
    ):
        code, out, err = run_cli(*args)
        assert code == 2 and err.strip().splitlines() == [msg]


def test_a_diverging_train_is_one_error_line_not_a_traceback(run_cli):
    code, out, err = run_cli("train", "--dataset", "digits", "--lr", "1e6", "--epochs", "2")
    assert code == 1 and "Traceback" not in err
    assert err.strip().startswith("error: the run diverged: loss is nan") and "--lr" in err


def test_an_incomplete_mnist_folder_is_named_not_passed_over(cli_error, tmp_path):
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "train-images-idx3-ubyte.gz").write_bytes(b"x")
    line = cli_error("data", "mnist", "--data-dir", tmp_path, "--no-download")
    assert "incomplete" in line and str(tmp_path / "mnist") in line and "t10k-labels-idx1-ubyte.gz" in line


@pytest.mark.parametrize(
    "env,words",
    [
        ({"RAY_ADDRESS": "x"}, ["RAY_ADDRESS='x'", "unset it"]),
        ({"DMLVAE_RAY_GPUS": "abc"}, ["DMLVAE_RAY_GPUS", "'abc'"]),
    ],
)
def test_bad_ray_environment_is_one_line(run_cli, tmp_path, env, words):
    extra = ["--gpus-per-run", "0.5"] if "DMLVAE_RAY_GPUS" in env else []
    code, out, err = run_cli(*fakes.smoke_sweep(tmp_path / "r.jsonl", "--workers", 1, *extra), env=env)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert all(w in err for w in words), err
