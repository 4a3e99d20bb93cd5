"""The contract for set-level metrics (FID, KID): per-item features, one value per set.

A set metric cannot score an item alone. It maps each item to a feature vector (its sufficient
statistic, stored in the item's record so that shards and resumed runs merge), and computes its
values over the whole set of features against the features of a fixed *reference pool* of
natural inputs (extracted by the same metric from the target set's pool). The leaderboard calls
:meth:`SetMetric.compute` on the merged features and :meth:`SetMetric.bootstrap` for its CI.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from invbench.contracts.metric import Metric


@dataclass
class ItemFeatures:
    """One item's feature vector, or the reason it has none."""

    features: np.ndarray | None = None
    error: str | None = None


class SetMetric(Metric):
    """Base class for set-level metric families (``set_level = True``)."""

    set_level: ClassVar[bool] = True

    @abstractmethod
    def item_features(self, **fields: Any) -> np.ndarray:
        """A 1-D float64 feature vector for one item; raise :class:`MetricInputError` if none."""

    @abstractmethod
    def compute(self, features: np.ndarray, reference: np.ndarray) -> dict[str, float]:
        """Values for the set ``features`` ``(N, d)`` against ``reference`` ``(M, d)``."""

    def bootstrap(
        self, features: np.ndarray, reference: np.ndarray, resamples: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Values for each row of ``resamples`` (``(B, K)`` item indices; the leaderboard passes
        half the targets' items, drawn without replacement).

        The default recomputes :meth:`compute` on each resample; metrics whose estimator is
        biased by repeated items (KID's unbiased MMD) override it.
        """
        draws = [self.compute(features[idx], reference) for idx in resamples]
        return {name: np.array([d[name] for d in draws]) for name in draws[0]} if draws else {}

    def score_item(self, **fields: Any) -> dict[str, float]:
        return {}  # no per-item value: see compute()

    def features(self, fields: Mapping[str, Sequence[Any]]) -> list[ItemFeatures]:
        """Per-item features for a batch ``{field: [value per item]}``; failures stay per item."""

        def vector(**item: Any) -> np.ndarray:
            return np.asarray(self.item_features(**item), dtype=np.float64).reshape(-1)

        out = []
        for features, error in self.per_item(fields, vector):
            if error is None and not np.isfinite(features).all():
                error = f"{self.name}: non-finite features"
            out.append(ItemFeatures(error=error) if error else ItemFeatures(features=features))
        return out
