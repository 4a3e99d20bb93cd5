"""The Python API: ``evaluate`` (what ``invbench evaluate`` runs) and its ``EvaluationResults``."""

from invbench.api.entry import evaluate
from invbench.api.results import EvaluationResults, leaderboard_of

__all__ = ["EvaluationResults", "evaluate", "leaderboard_of"]
