"""Page 01's back-end (dmlvae.pages.dml): the mining table, against a brute-force count of the active triplets."""

import itertools

import fakes
import torch

from dmlvae import pages


def test_the_mining_table_is_the_pages_call_and_its_all_mining_row_matches_a_loop():
    page = fakes.shipped_page("01_dml")
    (table,) = fakes.run_page_calls(page, "dml").values()
    assert list(table.index) == ["all", "hard", "semihard"]
    lsdim, margin, seed = page.p.lsdim, page.config().margin, page.p.seed
    # the page's batch, rebuilt: 256 standard-normal embeddings of seed `seed`, 10 balanced classes
    z = torch.randn(256, lsdim, generator=torch.Generator().manual_seed(seed)).double()
    y = torch.arange(256) % 10
    d = torch.cdist(z, z)
    active = total = 0
    for a, p in itertools.permutations(range(0, 256, 8), 2):  # a subset of anchors keeps the loop short
        if y[a] != y[p]:
            continue
        negatives = (y != y[a]).nonzero().flatten()
        active += int((d[a, p] - d[a, negatives] + margin > 0).sum())
        total += len(negatives)
    assert abs(active / total - table.loc["all", "active triplets"]) < 0.03
    assert table.loc["hard", "loss"] >= table.loc["all", "loss"]  # the hardest triplets cost the most


def test_another_seed_draws_another_batch():
    a = pages.dml.mining_table(4, 0.2, seed=0)
    b = pages.dml.mining_table(4, 0.2, seed=1)
    assert not a.equals(b)
