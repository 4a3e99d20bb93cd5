"""The leaderboard: tables with bootstrap intervals, their exports, and run comparison.

It reads only records (``invbench.store.run_store.read_runs``), never models or metrics, so a
published
leaderboard can be rebuilt anywhere from run folders alone.
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
