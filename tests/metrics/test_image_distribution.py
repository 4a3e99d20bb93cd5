"""FID and KID against torchmetrics' ``FrechetInceptionDistance`` and ``KernelInceptionDistance``
given an ``nn.Module`` that returns precomputed features; merge, order and batch invariance; the
KID bootstrap's handling of repeated items."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest
import torch
from metric_tester import MetricTester, Tol
from threadpoolctl import threadpool_limits
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.kid import KernelInceptionDistance

from invbench.contracts.media import Image
from invbench.contracts.metric import MetricInputError
from invbench.metrics.clip_score import RandomProjectionJudge
from invbench.metrics.image_distribution import (
    ImageDistribution,
    canonical_order,
    fid_from_features,
    kid_from_features,
    kid_resampled,
    poly_kernel,
)
from invbench.models.zoo.mini_clip import MiniCLIPNet


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """As conftest does for torch: on 2 shared cores numpy's OpenBLAS pool makes a 384×384 eigh
    ~100× slower; one thread changes values by round-off at most, and the test time a lot."""
    with threadpool_limits(limits=1):  # threadpoolctl: scikit-learn's, which librosa needs
        yield


class Precomputed(torch.nn.Module):
    """torchmetrics' ``feature`` extractor: the "images" passed to update are the features."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.num_features = dim  # spares torchmetrics its dummy 299x299 forward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def _sets(n: int, m: int, d: int, seed: int, shift: float = 0.3):
    rng = np.random.default_rng(seed)
    mixing = np.eye(d) + 0.3 * rng.standard_normal((d, d))
    real = rng.standard_normal((m, d)) @ mixing
    fake = 0.8 * rng.standard_normal((n, d)) @ mixing + shift
    return fake, real


def _torchmetrics_fid(fake: np.ndarray, real: np.ndarray) -> float:
    fid = FrechetInceptionDistance(feature=Precomputed(fake.shape[1]))
    fid.update(torch.from_numpy(real), real=True)
    for chunk in np.array_split(fake, 3):  # its sufficient statistics merge across updates
        fid.update(torch.from_numpy(chunk), real=False)
    return float(fid.compute())


def _torchmetrics_kid(fake, real, subsets: int, subset_size: int, seed: int) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "will save all extracted features in buffer"
        kid = KernelInceptionDistance(
            feature=Precomputed(fake.shape[1]), subsets=subsets, subset_size=subset_size
        )
    kid.update(torch.from_numpy(real), real=True)
    kid.update(torch.from_numpy(fake), real=False)
    torch.manual_seed(seed)  # torchmetrics draws subsets from the global generator
    mean, std = kid.compute()
    return float(mean), float(std)


# (N, M, d): N <= d makes the recovered covariance singular
SHAPES = [(40, 60, 8), (200, 150, 16), (12, 80, 32), (30, 30, 384)]


@pytest.mark.parametrize(("n", "m", "d"), SHAPES)
def test_fid_matches_torchmetrics(n: int, m: int, d: int) -> None:
    fake, real = _sets(n, m, d, seed=n + d)
    ours = fid_from_features(fake, real)
    assert ours == pytest.approx(_torchmetrics_fid(fake, real), rel=1e-3)
    assert ours > 0


# (features, reference, expected FID), by hand
FID_TABLE = [
    ([[0.0], [2.0]], [[0.0], [2.0]], 0.0),
    ([[1.0], [3.0]], [[0.0], [2.0]], 1.0),  # mean shift 1
    ([[0.0], [4.0]], [[1.0], [3.0]], 2.0),  # variances 8 and 2: (sqrt 8 - sqrt 2)^2 = 2
    # orthogonal rank-1 covariances: |mean shift|^2 = 2, traces 2 + 2, covariance product 0
    ([[0.0, 0.0], [2.0, 0.0]], [[0.0, 0.0], [0.0, 2.0]], 6.0),
]


@pytest.mark.parametrize(("fake", "real", "expected"), FID_TABLE)
def test_fid_table(fake, real, expected: float) -> None:
    got = fid_from_features(np.array(fake), np.array(real))
    assert got == pytest.approx(expected, abs=1e-12)


def test_kid_by_hand() -> None:
    # d = 1, k(a, b) = (ab + 1)^3; X = Y = {0, 1}: k-sums off-diagonal 2 and 2, cross 1+1+1+8
    x = np.array([[0.0], [1.0]])
    assert kid_from_features(x, x, subsets=3, subset_size=2) == pytest.approx(1 + 1 - 2 * 11 / 4)


@pytest.mark.parametrize(("n", "d"), [(20, 8), (50, 32), (16, 384)])
def test_kid_matches_torchmetrics_when_subsets_are_the_full_sets(n: int, d: int) -> None:
    fake, real = _sets(n, n, d, seed=d)
    metric = ImageDistribution(judge=RandomProjectionJudge(), kid_subsets=4)
    mean, std = _torchmetrics_kid(fake, real, subsets=4, subset_size=n, seed=0)
    # subset size min(N, M, 1000) = N: deterministic, and the same under reordering
    MetricTester(ImageDistribution).check_set(
        metric, fake, real, lambda *_: {"kid": mean}, Tol(rel=1e-9, abs=1e-12)
    )
    assert std == pytest.approx(0.0, abs=1e-9 * abs(mean) + 1e-12)


@pytest.mark.parametrize(("n", "m", "size", "seed"), [(30, 50, 10, 0), (60, 40, 25, 7)])
def test_kid_matches_torchmetrics_under_the_same_random_subsets(n, m, size, seed) -> None:
    fake, real = _sets(n, m, 16, seed=seed)
    mean, _ = _torchmetrics_kid(fake, real, subsets=6, subset_size=size, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    ours = kid_from_features(fake, real, subsets=6, subset_size=size, generator=generator)
    assert ours == pytest.approx(mean, rel=1e-9, abs=1e-12)


def test_compute_caps_the_kid_subset_at_n_and_matches_torchmetrics() -> None:
    fake, real = _sets(7, 90, 16, seed=3)
    metric = ImageDistribution(judge=RandomProjectionJudge(), kid_subsets=5, kid_seed=11)

    def reference(features: np.ndarray, pool: np.ndarray) -> dict[str, float]:
        # torchmetrics with subset_size = N = 7 and the same seed, on the canonically ordered rows
        mean, _ = _torchmetrics_kid(canonical_order(features), canonical_order(pool), 5, 7, 11)
        return {"kid": mean, "fid": _torchmetrics_fid(features, pool)}

    tol = {"kid": Tol(rel=1e-9, abs=1e-12), "fid": Tol(rel=1e-3)}
    MetricTester(ImageDistribution).check_set(metric, fake, real, reference, tol)


def test_distant_sets_score_worse() -> None:
    metric = ImageDistribution(judge=RandomProjectionJudge(), kid_subsets=10)
    near = metric.compute(*_sets(60, 60, 8, seed=1, shift=0.0))
    far = metric.compute(*_sets(60, 60, 8, seed=1, shift=2.0))
    assert far["fid"] > near["fid"] and far["kid"] > near["kid"]


@pytest.fixture(scope="module")
def judge() -> RandomProjectionJudge:
    return RandomProjectionJudge(seed=0)


def _images(n: int, seed: int) -> list[Image]:
    g = torch.Generator().manual_seed(seed)
    return [Image(torch.rand(3, 64, 64, generator=g) ** (1 + i % 4)) for i in range(n)]


def test_features_and_compute_ignore_batching_and_order(judge) -> None:
    metric = ImageDistribution(judge=judge, kid_subsets=10)
    images = _images(10, seed=0)
    images[4] = Image(torch.full((3, 64, 64), float("nan")))  # an input error, not a feature
    reference = np.stack([metric.item_features(image=x) for x in _images(12, seed=1)])

    results = MetricTester(lambda: ImageDistribution(judge=judge, kid_subsets=10)).run(
        {"image": images}
    )  # features bit-equal whole, one by one, in chunks, shuffled (the harness's path)
    whole = [features for features, _ in results]
    assert whole[4] is None and "NaN" in results[4][1]
    assert all(f is not None for i, f in enumerate(whole) if i != 4)
    kept = np.stack([f for f in whole if f is not None])
    value = metric.compute(kept, reference)
    assert metric.compute(kept[::-1].copy(), reference) == value  # exactly, via canonical order
    assert metric.compute(kept[[3, 1, 8, 0, 5, 7, 2, 6, 4]], reference[::-1].copy()) == value
    assert value["fid"] > 0


def test_item_features_are_the_judges_image_features(judge) -> None:
    image = _images(1, 0)[0]
    expected = judge.image_features(image.pixels[None])[0].double().numpy()
    got = ImageDistribution(judge=judge).item_features(image=image)
    assert got.dtype == np.float64 and np.array_equal(got, expected)


def test_item_features_with_the_mini_clip_architecture() -> None:
    """The real judge's network, untrained (the shipped weights are not needed for shapes)."""
    net = MiniCLIPNet().eval()
    judge = types.SimpleNamespace(
        name="mini-clip-untrained",
        image_features=net.image_features,
        weights_sha256="0" * 64,
    )
    metric = ImageDistribution(judge=judge, kid_subsets=5)
    features = metric.features({"image": _images(6, seed=3)})
    stacked = np.stack([f.features for f in features])
    assert stacked.shape == (6, metric.dim)
    assert f"|dim:{metric.dim}|" in metric.signature()
    value = metric.compute(
        stacked, np.stack([metric.item_features(image=x) for x in _images(8, 4)])
    )
    assert value["fid"] >= 0 and np.isfinite(value["kid"])


def test_item_feature_errors(judge) -> None:
    metric = ImageDistribution(judge=judge)
    out = metric.features(
        {"image": [_images(1, 0)[0], Image(torch.rand(3, 32, 32)), torch.rand(3, 64, 64)]}
    )
    assert out[0].features is not None and out[0].features.shape == (384,)
    assert "expected (3, 64, 64)" in out[1].error
    assert "image must be an Image, got Tensor" in out[2].error


@pytest.mark.parametrize(
    ("n", "m", "d_fake", "message"),
    [(1, 10, 4, r"recovered features have shape \(1, 4\)"), (10, 1, 4, "reference features")],
)
def test_compute_errors(n: int, m: int, d_fake: int, message: str) -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(MetricInputError, match=message):
        ImageDistribution(judge=RandomProjectionJudge()).compute(
            rng.standard_normal((n, d_fake)), rng.standard_normal((m, 4))
        )
    with pytest.raises(MetricInputError, match=r"expected \(n >= 2, 4\)"):
        fid_from_features(rng.standard_normal((5, 3)), rng.standard_normal((5, 4)))


def _brute_force_kid(features, reference, idx) -> float:
    """Unbiased all-pairs MMD² over resample positions, skipping pairs of one item's copies."""
    x = features[idx]
    k_xx = poly_kernel(x, x)
    distinct = idx[:, None] != idx[None, :]
    xx = k_xx[distinct].mean()
    k_yy = poly_kernel(reference, reference)
    yy = k_yy[~np.eye(len(reference), dtype=bool)].mean()
    return float(xx + yy - 2 * poly_kernel(x, reference).mean())


def test_kid_bootstrap_never_pairs_an_item_with_its_copy() -> None:
    fake, real = _sets(15, 20, 8, seed=4)
    rng = np.random.default_rng(0)
    resamples = rng.integers(0, 15, size=(6, 15))
    resamples[0] = np.arange(15)  # no repeats: the plain estimator
    resamples[1] = 3  # one distinct item: no within-set pair, no value
    got = ImageDistribution(judge=RandomProjectionJudge()).bootstrap(fake, real, resamples)
    assert set(got) == {"fid", "kid"} and got["kid"].shape == got["fid"].shape == (6,)
    assert np.isnan(got["kid"][1])
    for b in (0, 2, 3, 4, 5):
        assert got["kid"][b] == pytest.approx(_brute_force_kid(fake, real, resamples[b]), rel=1e-10)
    # no repeats and N = M = subset size: the bootstrap's estimator is compute()'s
    square = _sets(15, 15, 8, seed=5)
    metric = ImageDistribution(judge=RandomProjectionJudge(), kid_subsets=2)
    direct = kid_resampled(*square, np.arange(15)[None])[0]
    assert direct == pytest.approx(metric.compute(*square)["kid"], rel=1e-10)


def test_fid_bootstrap_is_the_default_recompute() -> None:
    fake, real = _sets(25, 30, 8, seed=6)
    resamples = np.random.default_rng(1).integers(0, 25, size=(4, 25))
    got = ImageDistribution(judge=RandomProjectionJudge()).bootstrap(fake, real, resamples)
    expected = [fid_from_features(fake[idx], real) for idx in resamples]
    assert got["fid"].tolist() == pytest.approx(expected, rel=1e-10)


def test_signature_and_declaration(judge) -> None:
    metric = ImageDistribution(judge=judge)
    assert metric.signature() == (
        f"fid_kid|features:random-projection/image_features|sha256:{judge.weights_sha256[:12]}"
        "|dim:384"
        "|fid:cov-ddof1-eigh|kid_kernel:poly3-gamma1/d-coef1|kid_subsets:100"
        "|kid_subset_size:min(N,M,1000)|kid_seed:0|version:1"
    )
    fid, kid = metric.outputs
    assert (fid.name, fid.higher_is_better, fid.value_range) == ("fid", False, (0.0, np.inf))
    assert (kid.name, kid.higher_is_better, kid.value_range) == ("kid", False, (-np.inf, np.inf))
    assert metric.requires == ("image",) and metric.set_level
    assert metric.score_item(image=_images(1, 0)[0]) == {}  # no per-item value
