"""Dataset loaders on real data, the OrganAMNIST .npz path on a synthetic file, labelled subsets."""

import numpy as np
import pytest

from dmlvae import DmlvaeError
from dmlvae.core import data

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]  # canonical
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist():
    return data.load("mnist", download=False)


def test_mnist_canonical_counts_and_format(mnist):
    x, y = mnist.split("train")
    assert x.shape == (60000, 1, 28, 28) and x.dtype == np.float32
    assert y.dtype == np.int64 and mnist.split("test")[0].shape == (10000, 1, 28, 28)
    assert np.bincount(y).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(mnist.labels["test"]).tolist() == MNIST_TEST_COUNTS
    assert x.min() == 0.0 and x.max() == 1.0
    # exact bytes: every value is k / 255 for an integer k
    k = x[:2000] * 255.0
    assert np.abs(k - np.rint(k)).max() < 1e-4


def test_mnist_from_data_dir_idx_files_wins(tmp_path, mnist):
    """A data directory with idx files is used before the packaged copy, and read exactly."""
    import gzip
    import struct

    folder = tmp_path / "mnist"
    folder.mkdir()
    for split, (xf, yf) in data.IDX_FILES.items():
        x = np.rint(mnist.images[split][:50, 0] * 255).astype(np.uint8)
        y = mnist.labels[split][:50].astype(np.uint8)
        with gzip.open(folder / xf, "wb") as f:
            f.write(struct.pack(">HBB", 0, 8, 3) + struct.pack(">III", *x.shape) + x.tobytes())
        with gzip.open(folder / yf, "wb") as f:
            f.write(struct.pack(">HBB", 0, 8, 1) + struct.pack(">I", len(y)) + y.tobytes())
    ds = data.load("mnist", data_dir=tmp_path, download=False)
    assert ds.source.startswith("data-dir:")
    assert ds.split("train")[0].shape == (50, 1, 28, 28)
    np.testing.assert_array_equal(ds.images["test"], mnist.images["test"][:50])
    np.testing.assert_array_equal(ds.labels["train"], mnist.labels["train"][:50])


def test_digits():
    ds = data.load("digits")
    assert ds.split("train")[0].shape == (1347, 1, 8, 8)
    assert ds.split("test")[0].shape == (450, 1, 8, 8)
    assert ds.source == "package:scikit-learn" and ds.n_classes == 10
    for s in ("train", "test"):  # stratified: every class present in both splits
        assert (np.bincount(ds.labels[s], minlength=10) > 30).all()
    x = ds.images["train"]
    assert x.dtype == np.float32 and x.min() == 0.0 and x.max() == 1.0


@pytest.mark.skipif(
    not data._idx_dir_complete(data.DEBIAN_FASHION_DIR), reason="Debian package dataset-fashion-mnist not installed"
)
def test_fashion_mnist_from_debian(tmp_path):
    ds = data.load("fashion-mnist", data_dir=tmp_path, download=False)
    assert ds.source.startswith("debian:")
    assert ds.split("train")[0].shape == (60000, 1, 28, 28)
    assert np.bincount(ds.labels["train"]).tolist() == [6000] * 10
    assert np.bincount(ds.labels["test"]).tolist() == [1000] * 10
    assert ds.class_names[9] == "Ankle boot"


def _fake_organamnist(path, sizes=(30, 8, 12), seed=0):
    """A small file in MedMNIST's exact .npz format: uint8 (N, 28, 28) images, uint8 (N, 1) labels."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in zip(("train", "val", "test"), sizes):
        arrays[f"{split}_images"] = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        arrays[f"{split}_labels"] = (np.arange(n) % 11).astype(np.uint8).reshape(n, 1)
    np.savez_compressed(path, **arrays)
    return arrays


def test_organamnist_npz_from_data_dir(tmp_path):
    arrays = _fake_organamnist(tmp_path / "organamnist.npz")
    ds = data.load("organamnist", data_dir=tmp_path, download=False)
    assert ds.source == f"data-dir:{tmp_path.resolve() / 'organamnist.npz'}"
    assert {s: len(y) for s, y in ds.labels.items()} == {"train": 30, "val": 8, "test": 12}
    assert ds.images["val"].shape == (8, 1, 28, 28) and ds.labels["val"].dtype == np.int64
    np.testing.assert_allclose(ds.images["test"][:, 0] * 255, arrays["test_images"], atol=1e-3)
    assert ds.n_classes == 11 and ds.class_names[0] == "bladder" and ds.class_names[10] == "spleen"
    assert any("differ from MedMNIST" in n for n in ds.notes)  # a small file is flagged as such


def test_organamnist_missing_names_file_dir_and_remedy(tmp_path):
    with pytest.raises(DmlvaeError) as e:
        data.load("organamnist", data_dir=tmp_path, download=False)
    msg = str(e.value)
    assert "organamnist" in msg and "organamnist.npz" in msg and str(tmp_path) in msg
    assert "--data-dir" in msg and "DMLVAE_DATA" in msg


def test_organamnist_wrong_keys(tmp_path):
    np.savez(tmp_path / "organamnist.npz", images=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DmlvaeError, match="missing keys"):
        data.load("organamnist", data_dir=tmp_path, download=False)


def test_missing_idx_dataset_message(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", tmp_path / "nowhere")
    with pytest.raises(DmlvaeError) as e:
        data.load("fashion-mnist", data_dir=tmp_path, download=False)
    msg = str(e.value)
    assert "'fashion-mnist'" in msg and "train-images-idx3-ubyte.gz" in msg and str(tmp_path) in msg


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(DmlvaeError) as e:
        data.load("cifar10")
    assert "cifar10" in str(e.value)
    for name in data.DATASETS:
        assert name in str(e.value)


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DMLVAE_DATA", str(tmp_path))
    assert data.default_data_dir() == tmp_path


# ------------------------------------------------------------------------------- labelled subsets
@pytest.mark.parametrize("pl_pct,n", [(0.01, 6), (0.1, 60), (10, 6000), (100, 60000), (1e-6, 1)])
def test_labelled_sizes_on_mnist(mnist, pl_pct, n):
    idx = data.labelled_subset(mnist.labels["train"], pl_pct, seed=0)
    assert len(idx) == n and len(np.unique(idx)) == n
    assert idx.min() >= 0 and idx.max() < 60000 and (np.diff(idx) > 0).all()


def test_labelled_subset_is_deterministic_and_seeded(mnist):
    y = mnist.labels["train"]
    a = data.labelled_subset(y, 0.1, seed=3)
    np.testing.assert_array_equal(a, data.labelled_subset(y, 0.1, seed=3))
    assert not np.array_equal(a, data.labelled_subset(y, 0.1, seed=4))
    # pinned: numpy's PCG64 stream is the same on every platform, so these indices are too
    assert data.labelled_subset(y, 0.01, seed=0).tolist() == PINNED_SEED0_6


PINNED_SEED0_6 = [2458, 16186, 18469, 30666, 38215, 51033]


def test_stratified_policy_is_proportional(mnist):
    y = mnist.labels["train"]
    idx = data.labelled_subset(y, 10, seed=0, policy="stratified")
    counts = np.bincount(y[idx], minlength=10)
    expected = np.bincount(y) * 0.1
    assert len(idx) == 6000 and np.abs(counts - expected).max() < 1.0
    idx6 = data.labelled_subset(y, 0.01, seed=0, policy="stratified")
    assert len(idx6) == 6 and len(np.unique(y[idx6])) == 6  # 6 labels -> 6 different classes


@pytest.mark.parametrize("bad", [0, -1, 100.5, "abc", float("nan"), None, True])
def test_bad_pl_pct_is_rejected_by_name(bad):
    with pytest.raises(DmlvaeError) as e:
        data.labelled_subset(np.zeros(100, int), bad)
    assert "pl_pct" in str(e.value) and "(0, 100]" in str(e.value)


def test_numeric_string_pl_pct_is_accepted():
    assert len(data.labelled_subset(np.zeros(1000, int), "10")) == 100


def test_bad_policy():
    with pytest.raises(DmlvaeError, match="uniform, stratified"):
        data.labelled_subset(np.zeros(10, int), 50, policy="balanced")
