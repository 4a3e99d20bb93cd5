r"""FID and KID of the recovered images against a reference pool, on mini-CLIP image features.

Each item's feature is the judge CLIP's ``image_features`` (:mod:`invbench.metrics.clip_score`;
by default mini-CLIP's penultimate image-tower features, before the projection to the joint
space). For the recovered set :math:`X` (:math:`N` rows) and the reference pool :math:`Y`
(:math:`M` rows), all in float64:

**FID** (Heusel et al. 2017), with means :math:`\mu` and unbiased covariances :math:`\Sigma`:

.. math::
    \mathrm{FID} = \lVert \mu_X - \mu_Y \rVert^2 + \operatorname{tr}\Sigma_X + \operatorname{tr}
    \Sigma_Y - 2 \operatorname{tr} \big(\Sigma_Y^{1/2} \Sigma_X \Sigma_Y^{1/2}\big)^{1/2}

The trace term equals :math:`\operatorname{tr}(\Sigma_X\Sigma_Y)^{1/2}` and is computed with
symmetric eigendecompositions (``eigh``), negative round-off eigenvalues clipped to 0; when
:math:`N \le d` through the :math:`N \times N` matrix :math:`A \Sigma_Y A^\top` (:math:`A` the
centred features over :math:`\sqrt{N-1}`), which has the same non-zero eigenvalues. That is exact
for *singular* covariances (:math:`N \le d`, the usual case at small N): no :math:`\epsilon I`
offset as pytorch-fid's ``sqrtm`` fallback adds, no complex parts as ``scipy.linalg.sqrtm``
leaves. A result below 0 by round-off is clamped to 0. FID is biased in :math:`N`: never compare
it across N.

**KID** (Bińkowski et al. 2018): the unbiased MMD² with the kernel
:math:`k(a, b) = (a \cdot b / d + 1)^3`, averaged over ``subsets`` random subsets of
:math:`m = \min(N, M, \text{subset\_size})` rows of each set (so :math:`m \le N` always):

.. math::
    \widehat{\mathrm{MMD}}^2_u = \frac{\sum_{i \ne j} k(x_i, x_j) + \sum_{i \ne j} k(y_i, y_j)}
    {m(m-1)} - \frac{2}{m^2} \sum_{i,j} k(x_i, y_j)

Subsets are drawn as torchmetrics draws them (per subset ``torch.randperm(M)`` then
``torch.randperm(N)``), from a generator seeded with ``kid_seed``, after sorting the rows of both
sets lexicographically: the value depends on the *set* of features, not their order. KID is
unbiased, so it can be below 0.

**Resamples** (:meth:`ImageDistribution.bootstrap`: rows of item indices; the leaderboard draws
half the targets without replacement, see :mod:`invbench.leaderboard.set_scores`): FID is
recomputed on each row, batched. KID uses the all-pairs form of the same estimator (the limit of
many subsets, whose expectation equals :meth:`compute`'s), weighted by each item's count
:math:`c_i` in the row (:math:`R = \sum_i c_i`), an item never paired with its own copies:
:math:`\sum_{i \ne j} c_i c_j K_{ij} / (R^2 - \sum_i c_i^2)` within the set and
:math:`\sum_i c_i \bar K^{XY}_{i\cdot} / R` across sets; one distinct item has no KID (NaN).

Example:
    >>> import numpy as np
    >>> from invbench.metrics.image_distribution import fid_from_features, kid_from_features
    >>> rng = np.random.default_rng(0)
    >>> real = rng.standard_normal((200, 4))
    >>> round(fid_from_features(real + [2.0, 0, 0, 0], real), 6)  # a pure mean shift: |2|^2
    4.0
    >>> kid_from_features(real[:100], real[100:], subsets=10, subset_size=50) < 0.05
    True
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch

from invbench.contracts.media import Image
from invbench.contracts.metric import MetricInputError, MetricOutput
from invbench.contracts.set_metric import SetMetric
from invbench.metrics.clip_score import ClipJudge, judge_image, judge_name, load_judge


def _checked(features: Any, name: str, dim: int | None = None) -> np.ndarray:
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or (dim is not None and x.shape[1] != dim):
        want = f"(n >= 2, {dim if dim is not None else 'd'})"
        raise MetricInputError(f"{name} features have shape {x.shape}, expected {want}")
    return x


def _cov(x: np.ndarray) -> np.ndarray:
    """Unbiased (ddof 1) covariance ``(d, d)``, also for d = 1."""
    return np.atleast_2d(np.cov(x, rowvar=False, ddof=1))


def _sqrt_psd(a: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((a + a.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def _trace_sqrt_product(sqrt_a: np.ndarray, b: np.ndarray) -> float:
    """``tr (A^1/2 B A^1/2)^1/2`` given ``A^1/2``, for PSD ``A`` and ``B``."""
    inner = sqrt_a @ b @ sqrt_a
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2), 0.0, None)).sum())


def _fid(
    fake: np.ndarray, mu_real: np.ndarray, cov_real: np.ndarray, sqrt_real: np.ndarray
) -> float:
    mu = fake.mean(0)
    n, d = fake.shape
    if n <= d:
        # Low rank: with A = (fake - mu) / sqrt(n - 1), cov = AᵀA and the non-zero eigenvalues
        # of cov_real^½ AᵀA cov_real^½ are those of the n×n matrix A cov_real Aᵀ: the same
        # trace, at O(n d²) instead of O(d³) — what makes a 1000-resample bootstrap cheap.
        centred = (fake - mu) / np.sqrt(n - 1)
        small = centred @ cov_real @ centred.T
        eigen = np.linalg.eigvalsh((small + small.T) / 2)
        trace_sqrt = float(np.sqrt(np.clip(eigen, 0.0, None)).sum())
        trace_fake = float((centred**2).sum())
    else:
        cov = _cov(fake)
        trace_sqrt, trace_fake = _trace_sqrt_product(sqrt_real, cov), float(np.trace(cov))
    value = (
        float(((mu - mu_real) ** 2).sum())
        + trace_fake
        + float(np.trace(cov_real))
        - 2.0 * trace_sqrt
    )
    return max(value, 0.0)


def fid_from_features(fake: Any, real: Any) -> float:
    """Fréchet distance between Gaussians fitted to ``fake`` ``(N, d)`` and ``real`` ``(M, d)``."""
    real = _checked(real, "reference")
    fake = _checked(fake, "recovered", real.shape[1])
    cov_real = _cov(real)
    return _fid(fake, real.mean(0), cov_real, _sqrt_psd(cov_real))


def poly_kernel(a: np.ndarray, b: np.ndarray, degree: int = 3, coef0: float = 1.0) -> np.ndarray:
    """``(a b^T / d + coef0) ** degree`` (gamma = 1/d)."""
    return (a @ b.T / a.shape[1] + coef0) ** degree


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """torchmetrics' ``poly_mmd``: unbiased MMD² of equal-size sets with the KID kernel."""
    m = x.shape[0]
    k_xx, k_yy, k_xy = poly_kernel(x, x), poly_kernel(y, y), poly_kernel(x, y)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.sum() / m**2)


def kid_from_features(
    fake: Any,
    real: Any,
    subsets: int = 100,
    subset_size: int = 1000,
    generator: torch.Generator | int = 0,
) -> float:
    """Mean unbiased MMD² over ``subsets`` random ``subset_size`` subsets (torchmetrics' draws).

    ``generator`` is a ``torch.Generator`` or a seed; rows are used in the order given.
    """
    real = _checked(real, "reference")
    fake = _checked(fake, "recovered", real.shape[1])
    if not 2 <= subset_size <= min(len(fake), len(real)):
        raise MetricInputError(
            f"KID subset size {subset_size} must be in [2, min(N={len(fake)}, M={len(real)})]"
        )
    if isinstance(generator, int):
        generator = torch.Generator().manual_seed(generator)
    values = []
    for _ in range(subsets):
        real_rows = torch.randperm(len(real), generator=generator)[:subset_size].numpy()
        fake_rows = torch.randperm(len(fake), generator=generator)[:subset_size].numpy()
        values.append(mmd2_unbiased(real[real_rows], fake[fake_rows]))
    return float(np.mean(values))


def canonical_order(features: np.ndarray) -> np.ndarray:
    """Rows sorted lexicographically (first column first), so results ignore item order."""
    return features[np.lexsort(features.T[::-1])] if len(features) else features


class ImageDistribution(SetMetric):
    """FID and KID of the recovered images' judge features against the reference pool's."""

    name: ClassVar[str] = "fid_kid"
    description: ClassVar[str] = "FID and KID of recovered images vs natural images (mini-CLIP)"
    requires: ClassVar[tuple[str, ...]] = ("image",)
    reference: ClassVar[str] = "torchmetrics"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("fid", False, (0.0, np.inf), "Fréchet distance of feature Gaussians"),
        MetricOutput("kid", False, (-np.inf, np.inf), "unbiased polynomial-kernel MMD²"),
    )

    def __init__(
        self,
        model: str = "mini-clip",
        judge: ClipJudge | None = None,
        kid_subsets: int = 100,
        kid_subset_size: int = 1000,
        kid_seed: int = 0,
    ) -> None:
        self.model, self._judge = model, judge
        self.kid_subsets, self.kid_subset_size = kid_subsets, kid_subset_size
        self.kid_seed = kid_seed
        self._dim: int | None = None

    @property
    def judge(self) -> ClipJudge:
        if self._judge is None:
            self._judge = load_judge(self.model)
        return self._judge

    @property
    def dim(self) -> int:
        """The feature dimension (from the features of one grey image, computed once)."""
        if self._dim is None:
            size = int(getattr(self.judge, "image_size", 64))
            grey = Image(torch.full((3, size, size), 0.5))
            self._dim = judge_image(self.judge, grey, "image_features").size
        return self._dim

    def settings(self) -> dict[str, Any]:
        return {
            "features": f"{judge_name(self.judge, self.model)}/image_features",
            "sha256": self.judge.weights_sha256[:12],
            "dim": self.dim,
            "fid": "cov-ddof1-eigh",
            "kid_kernel": "poly3-gamma1/d-coef1",
            "kid_subsets": self.kid_subsets,
            "kid_subset_size": f"min(N,M,{self.kid_subset_size})",
            "kid_seed": self.kid_seed,
        }

    def item_features(self, image: Image, **_: Any) -> np.ndarray:
        return judge_image(self.judge, image, "image_features")

    def compute(self, features: np.ndarray, reference: np.ndarray) -> dict[str, float]:
        reference = canonical_order(_checked(reference, "reference"))
        features = canonical_order(_checked(features, "recovered", reference.shape[1]))
        size = min(len(features), len(reference), self.kid_subset_size)
        kid = kid_from_features(features, reference, self.kid_subsets, size, self.kid_seed)
        return {"fid": fid_from_features(features, reference), "kid": kid}

    def bootstrap(
        self, features: np.ndarray, reference: np.ndarray, resamples: np.ndarray
    ) -> dict[str, np.ndarray]:
        """FID and KID of ``features[row]`` per row of ``resamples`` ``(B, K)``; repeats allowed."""
        features = _checked(features, "recovered")
        reference = _checked(reference, "reference", features.shape[1])
        rows = np.atleast_2d(np.asarray(resamples, dtype=np.int64))
        cov_real = _cov(reference)
        fid = fid_rows(features, reference.mean(0), cov_real, _sqrt_psd(cov_real), rows)
        return {"fid": fid, "kid": kid_resampled(features, reference, rows)}


_MAX_CELLS = 1 << 22  # batched FID: about this many float64 cells per array and chunk


def fid_rows(
    features: np.ndarray,
    mu_real: np.ndarray,
    cov_real: np.ndarray,
    sqrt_real: np.ndarray,
    rows: np.ndarray,
) -> np.ndarray:
    """:func:`_fid` (same formula, same two paths) of ``features[row]`` per row ``(B, K)``.

    Batched eigendecompositions in chunks: a Python loop of them made 1000 draws slow.
    """
    count, k = rows.shape
    d = features.shape[1]
    out = np.full(count, np.nan)
    if count == 0 or k < 2:
        return out
    chunk = max(1, _MAX_CELLS // (k * d + min(k, d) ** 2))
    for start in range(0, count, chunk):
        x = features[rows[start : start + chunk]]  # (c, K, d)
        mu = x.mean(1)
        centred = (x - mu[:, None, :]) / np.sqrt(k - 1)
        if k <= d:
            inner = centred @ cov_real @ centred.transpose(0, 2, 1)
        else:
            inner = sqrt_real @ (centred.transpose(0, 2, 1) @ centred) @ sqrt_real
        eigen = np.linalg.eigvalsh((inner + inner.transpose(0, 2, 1)) / 2)
        trace_sqrt = np.sqrt(np.clip(eigen, 0.0, None)).sum(1)
        value = (((mu - mu_real) ** 2).sum(1) + (centred**2).sum((1, 2)) + np.trace(cov_real)
                 - 2.0 * trace_sqrt)  # fmt: skip
        out[start : start + len(x)] = np.maximum(value, 0.0)
    return out


def kid_resampled(features: np.ndarray, reference: np.ndarray, resamples: np.ndarray) -> np.ndarray:
    """All-pairs unbiased KID of each row ``(B, K)`` of item indices; copies never pair."""
    n, m = len(features), len(reference)
    if len(resamples) == 0:
        return np.empty(0)
    flat = (np.arange(len(resamples))[:, None] * n + resamples).ravel()  # one bincount, all rows
    counts = np.bincount(flat, minlength=len(resamples) * n).reshape(-1, n).astype(np.float64)
    total = counts.sum(1)  # K: N for a resample with replacement, fewer for a subsample
    k_xx = poly_kernel(features, features)
    cross_means = poly_kernel(features, reference).mean(1)
    yy_sum = 0.0  # the pool's off-diagonal kernel sum, in row blocks (M can be large)
    for start in range(0, m, 1024):
        block = poly_kernel(reference[start : start + 1024], reference)
        yy_sum += block.sum() - np.trace(block, offset=start)
    yy = yy_sum / (m * (m - 1))
    pairs = total**2 - (counts**2).sum(1)
    xx_sum = ((counts @ k_xx) * counts).sum(1) - (counts**2) @ np.diag(k_xx)
    with np.errstate(invalid="ignore", divide="ignore"):
        xx = np.where(pairs > 0, xx_sum / pairs, np.nan)
    return xx + yy - 2.0 * (counts @ cross_means) / total
