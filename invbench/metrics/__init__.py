"""Metric families, one per file, each implementing :class:`invbench.contracts.Metric`.

The built-ins are registered lazily in :mod:`invbench.plugins.catalog` (``wer``, ``cer``,
``exact_match``,
``dnsmos``, ``pesq_wb``, ``stoi``, ``snr``); their definitions, ranges, directions, signature fields
and references are written up as YAML metric cards in the top-level ``metrics/`` folder (see
:mod:`invbench.metrics.cards`). Every metric scores each item on its own, so batch size never
changes a score, and each is checked against its reference library in ``tests/metrics``.
"""
