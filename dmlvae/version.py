"""The training-code version recorded in every results row.

Bump ``TRAINING_VERSION`` in the same commit as any change that alters a run's numbers (a loss, a default, the
batch order, the evaluation). Rows of another version are *stale*: tables mark them and
``sweep --rerun-stale`` re-runs them. A refactor that leaves the numbers alone keeps the version, so hours of
results stay current; ``tests/core/test_golden.py`` fails when a tiny fixed run's numbers change while the version
stays the same.

History: 1 (rows without the field): the first release. 2: the metric loss sees the sampled z, Algorithm 4 as
printed, exact triplet mining for any margin, the MetricVAE's per-image reconstruction, divergence checks.
3: Adam's fused kernel, one encoder pass over both batches of a mixed step (the same sums in another order).
"""

__version__ = "0.1.0"  # the package's version
TRAINING_VERSION = 3
