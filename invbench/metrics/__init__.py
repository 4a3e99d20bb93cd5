"""Metric implementations, one family per file.

Per-item metrics implement :class:`invbench.contracts.Metric` and score each item on its own, so
batch size never changes a score; set metrics (FID/KID) implement
:class:`invbench.contracts.SetMetric` and compare the recovered set with a reference set. The
built-ins are registered by id in :mod:`invbench.plugins.catalog` (lazily, so listing them stays
cheap); ``invbench metrics`` lists every one. Their definitions, ranges, directions, signature
fields and references are YAML metric cards in the top-level ``metrics/`` folder (read by
:mod:`invbench.metrics.cards`), and ``tests/metrics`` checks them against reference
implementations.
"""
