"""SSIM and PSNR against torchmetrics' ``structural_similarity_index_measure`` and
``peak_signal_noise_ratio`` (one image per call, and ``reduction="none"`` on a batch)."""

from __future__ import annotations

import math

import pytest
import torch
from metric_tester import MetricTester, Tol
from torchmetrics.functional.image import peak_signal_noise_ratio as tm_psnr
from torchmetrics.functional.image import structural_similarity_index_measure as tm_ssim

from invbench.contracts.media import Image
from invbench.contracts.metric import MetricInputError
from invbench.metrics.image_similarity import PSNR, SSIM, checked_pixels, psnr, ssim


def _pair(seed: int, shape: tuple[int, int, int], noise: float, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    y = torch.rand(shape, generator=g, dtype=torch.float64)
    y = torch.nn.functional.avg_pool2d(y[None], 3, 1, 1)[0]  # some local structure
    x = (y + noise * torch.randn(shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    return x.to(dtype), y.to(dtype)


def _ramp(offset: float = 0.0) -> torch.Tensor:
    return torch.linspace(0.0, 0.8, 3 * 16 * 16, dtype=torch.float64).reshape(3, 16, 16) + offset


# (image, reference, expected PSNR dB, expected SSIM), worked out by hand; None = no closed form
TABLE = [
    ("ramp+0.1", "ramp", 20.0, None),  # MSE 0.01
    ("quarter+0.5", "zeros", 10 * math.log10(16), None),  # 1/4 of values off by 0.5: MSE 1/16
    ("ones", "zeros", 0.0, (1e-4) / (1 + 1e-4)),  # flat: SSIM = C1 / (1 + C1)
    ("half", "half-0.1", 20.0, (2 * 0.2 + 1e-4) / (0.25 + 0.16 + 1e-4)),  # flat: luminance only
]


def _make(kind: str) -> torch.Tensor:
    if kind.startswith("ramp"):
        return _ramp(0.1 if kind.endswith("+0.1") else 0.0)
    if kind == "quarter+0.5":
        x = torch.zeros(3, 16, 16, dtype=torch.float64)
        x[:, :8, :8] = 0.5
        return x
    value = {"zeros": 0.0, "ones": 1.0, "half": 0.5, "half-0.1": 0.4}[kind]
    return torch.full((3, 16, 16), value, dtype=torch.float64)


def _torchmetrics(factory, dtype: torch.dtype | None = None):
    """The reference: torchmetrics' SSIM or PSNR (``data_range=1``) of one image pair, on the
    pixels as they are or cast to ``dtype`` (None where there is no reference image)."""

    def reference(image: Image, reference_image: Image | None) -> dict[str, float] | None:
        if reference_image is None:
            return None
        x, y = image.pixels[None], reference_image.pixels[None]
        if dtype is not None:
            x, y = x.to(dtype), y.to(dtype)
        if factory is SSIM:
            return {"ssim": float(tm_ssim(x, y, data_range=1.0))}
        return {"psnr_db": float(tm_psnr(x, y, data_range=1.0))}

    return reference


def _fields(pairs) -> dict[str, list[Image]]:
    return {"image": [Image(x) for x, _ in pairs], "reference_image": [Image(y) for _, y in pairs]}


def test_table() -> None:
    fields = _fields([(_make(image), _make(reference)) for image, reference, _, _ in TABLE])
    # torchmetrics' PSNR takes the log of a float32 data range: equal within 1e-5 dB, not 1e-9
    psnr_db = MetricTester(PSNR).run(fields, _torchmetrics(PSNR), Tol(abs=1e-5))
    index = MetricTester(SSIM).run(fields, _torchmetrics(SSIM), Tol(abs=1e-12))
    for (_, _, db, ssim_value), got_psnr, got_ssim in zip(TABLE, psnr_db, index, strict=True):
        assert got_psnr == ({"psnr_db": pytest.approx(db, abs=1e-9)}, None)
        if ssim_value is not None:
            assert got_ssim[0]["ssim"] == pytest.approx(ssim_value, abs=1e-12)


CASES = [
    (0, (3, 64, 64), 0.05),
    (1, (3, 64, 64), 0.3),
    (2, (3, 11, 11), 0.1),
    (3, (3, 37, 50), 0.2),
    (4, (3, 64, 64), 1.0),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("factory", [SSIM, PSNR])
def test_matches_torchmetrics(factory, dtype) -> None:
    fields = _fields([_pair(seed, shape, noise, dtype) for seed, shape, noise in CASES])
    tester = MetricTester(factory)
    # we compute in float64; torchmetrics' SSIM on the same values upcast agrees to round-off
    # (its PSNR logs a float32 data range: 1e-5), and on float32 directly within 1e-5
    upcast = Tol(abs=1e-10) if factory is SSIM else Tol(abs=1e-5)
    results = tester.run(fields, _torchmetrics(factory, torch.float64), upcast)
    tester.assert_matches(results, fields, _torchmetrics(factory), Tol(abs=1e-5))
    assert all(error is None for _, error in results)  # all 5 compared, within the range


def test_psnr_matches_torchmetrics_batched_without_reduction() -> None:
    pairs = [_pair(s, (3, 32, 32), 0.05 * (s + 1)) for s in range(5)]
    xs, ys = torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs])
    expected = tm_psnr(xs, ys, data_range=1.0, reduction="none", dim=(1, 2, 3))
    fields = _fields(pairs)
    batched = [{"psnr_db": v} for v in expected.tolist()]
    assert MetricTester(PSNR).run(fields, batched, Tol(abs=1e-5), splits=()) == [
        ({"psnr_db": psnr(x, y)}, None) for x, y in pairs
    ]
    assert MetricTester(SSIM).run(fields, _torchmetrics(SSIM), Tol(abs=1e-5), splits=()) == [
        ({"ssim": ssim(x, y)}, None) for x, y in pairs
    ]


def test_more_noise_scores_lower() -> None:
    scores = []
    for noise in (0.02, 0.1, 0.5):
        x, y = _pair(9, (3, 64, 64), noise)
        scores.append(
            (
                SSIM().score_item(image=Image(x), reference_image=Image(y))["ssim"],
                PSNR().score_item(image=Image(x), reference_image=Image(y))["psnr_db"],
            )
        )
    assert scores[0][0] > scores[1][0] > scores[2][0]
    assert scores[0][1] > scores[1][1] > scores[2][1]


@pytest.mark.parametrize("factory", [SSIM, PSNR])
def test_no_reference_is_not_scored(factory) -> None:
    x, _ = _pair(0, (3, 16, 16), 0.1)
    assert factory().score_item(image=Image(x), reference_image=None) == {}


@pytest.mark.parametrize("factory", [SSIM, PSNR])
@pytest.mark.parametrize(
    ("image", "reference", "message"),
    [
        ("small", "ok", r"image has shape \(3, 16, 12\) but reference_image has \(3, 16, 16\)"),
        ("ok", "gray", r"reference_image has shape \(1, 16, 16\), expected \(3, H, W\)"),
        ("nan", "ok", "^image contains NaN or infinite pixels"),
        ("bright", "ok", r"^image values span .* expected within \[0.0, 1.0\]"),
        ("int", "ok", "^image pixels must be floating point, got torch.uint8"),
        ("flat2d", "ok", r"image has shape \(16, 16\), expected \(3, H, W\)"),
        ("tensor", "ok", "image must be an Image, got Tensor"),
        ("ok", "tensor", "reference_image must be an Image, got Tensor"),
    ],
)
def test_input_errors(factory, image: str, reference: str, message: str) -> None:
    x, _ = _pair(0, (3, 16, 16), 0.1)
    kinds = {
        "ok": lambda: Image(x),
        "small": lambda: Image(x[:, :, :12]),
        "gray": lambda: Image(x[:1]),
        "nan": lambda: Image(torch.where(torch.arange(16) == 3, torch.nan, x)),
        "bright": lambda: Image(x * 3),
        "int": lambda: Image((x * 255).to(torch.uint8)),
        "flat2d": lambda: Image(x[0]),
        "tensor": lambda: x,
    }
    with pytest.raises(MetricInputError, match=message):
        factory().score_item(image=kinds[image](), reference_image=kinds[reference]())


def test_identical_images_have_infinite_psnr() -> None:
    x, _ = _pair(0, (3, 16, 16), 0.1)
    assert PSNR().score_item(image=Image(x), reference_image=Image(x.clone())) == {
        "psnr_db": math.inf}
    assert PSNR().signature().endswith("|version:2")
    assert SSIM().score_item(image=Image(x), reference_image=Image(x.clone())) == {"ssim": 1.0}


def test_ssim_needs_a_full_window() -> None:
    x, y = _pair(0, (3, 10, 40), 0.1)
    with pytest.raises(MetricInputError, match="SSIM needs at least 11×11"):
        SSIM().score_item(image=Image(x), reference_image=Image(y))
    assert PSNR().score_item(image=Image(x), reference_image=Image(y))["psnr_db"] > 0


def test_checked_pixels_enforces_a_size() -> None:
    x, _ = _pair(0, (3, 16, 16), 0.1)
    assert checked_pixels(Image(x), "image", (16, 16)).dtype == torch.float64
    with pytest.raises(MetricInputError, match=r"expected \(3, 64, 64\)"):
        checked_pixels(Image(x), "image", (64, 64))


@pytest.mark.parametrize("factory", [SSIM, PSNR])
def test_batch_size_never_changes_a_score(factory) -> None:
    pairs = [_pair(s, (3, 24, 24), 0.05 + 0.05 * s) for s in range(8)]
    images = [Image(x) for x, _ in pairs]
    references: list[Image | None] = [Image(y) for _, y in pairs]
    references[1] = None
    images[4] = Image(pairs[4][0][:, :20])  # wrong shape: an input error
    fields = {"image": images, "reference_image": references}
    expected = [None if i == 4 else _torchmetrics(factory, torch.float64)(images[i], references[i])
                for i in range(8)]  # fmt: skip
    results = MetricTester(factory).run(fields, expected, Tol(abs=1e-5))
    assert results[1] == ({}, None)
    assert "reference_image has (3, 24, 24)" in results[4][1]
    assert all(results[i][0] for i in (0, 2, 3, 5, 6, 7))


def test_signatures_and_declarations() -> None:
    for factory, signature in (
        (SSIM, "ssim|window:gaussian11|sigma:1.5|k1:0.01|k2:0.03|data_range:1.0|pad:reflect"
               "|dtype:float64|version:1"),
        (PSNR, "psnr|data_range:1.0|base:10|dtype:float64|shape:must-match|version:2"),
    ):  # fmt: skip
        assert MetricTester(factory, signature=signature).check_signature(factory()) == signature
    assert SSIM.requires == PSNR.requires == ("image", "reference_image")
    assert SSIM.outputs[0].value_range == (-1.0, 1.0)
    assert PSNR.outputs[0].name == "psnr_db" and PSNR.outputs[0].value_range == (0.0, math.inf)
