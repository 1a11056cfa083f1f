"""Page 01's back-end (deep metric learning): the mining table."""

from __future__ import annotations

import pandas as pd
import torch

from dmlvae.core.losses import triplet_terms


def mining_table(lsdim: int, margin: float, seed: int = 0, n: int = 256, classes: int = 10):
    """The triplet loss and fraction of active triplets of each mining on one batch of ``n`` random embeddings
    (standard normal in ``lsdim`` dimensions, seed ``seed``) with ``classes`` balanced classes (a DataFrame indexed
    by mining)."""

    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, lsdim, generator=g)
    y = torch.arange(n) % classes
    rows = []
    for mining in ("all", "hard", "semihard"):
        loss, active = triplet_terms(z, y, margin=margin, mining=mining)
        rows.append({"mining": mining, "loss": round(loss.item(), 4), "active triplets": round(active, 3)})
    return pd.DataFrame(rows).set_index("mining")
