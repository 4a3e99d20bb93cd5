"""The leaderboard: tables with bootstrap intervals, their exports, and run comparison.

It reads only typed records (``invbench.store.run_store.read_runs``), never models, so a
published leaderboard can be rebuilt anywhere from run folders alone (set-level outputs such as
FID/KID use the metric's own arithmetic on the features the records store).
"""

from invbench.leaderboard.bootstrap import bootstrap_ci, bootstrap_label, paired_bootstrap
from invbench.leaderboard.compare import (
    IMPROVEMENT,
    INCOMPARABLE,
    NO_CHANGE,
    REGRESSION,
    CompareReport,
    CompareRow,
    UnmatchedRow,
    compare_runs,
)
from invbench.leaderboard.export import to_csv, to_html, to_markdown
from invbench.leaderboard.table import build_leaderboard

__all__ = [
    "IMPROVEMENT",
    "INCOMPARABLE",
    "NO_CHANGE",
    "REGRESSION",
    "CompareReport",
    "CompareRow",
    "UnmatchedRow",
    "bootstrap_ci",
    "bootstrap_label",
    "build_leaderboard",
    "compare_runs",
    "paired_bootstrap",
    "to_csv",
    "to_html",
    "to_markdown",
]
