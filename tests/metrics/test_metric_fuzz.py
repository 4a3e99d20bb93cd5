"""Fuzzing every registered metric: random shapes, ranges, NaN, empty and one very long input.

The contract under test (invbench/contracts/metric.py): an item a metric cannot score raises
:class:`~invbench.contracts.MetricInputError` (recorded per item with its reason); anything else
it returns is ``{}`` (not scored) or every declared output, finite and inside its declared range.
Any other exception is a bug in the metric: :meth:`Metric.per_item` would still keep it per item,
but as a bare ``TypeError: ...`` instead of a reason. Set-level metrics (FID/KID) are held to the
same rule for their per-item features (a finite 1-D vector). ``score`` on the batch must never
raise either.

Each metric is built once per session (the models it loads: MiniLM, mini-CLIP, DNSMOS); LPIPS,
whose AlexNet weights are not available offline, gets an injected network (its validation and
item logic are what is fuzzed). Fuzzed inputs are short (at most 2.5 s of audio, 70x70 images);
each metric also gets one bounded very long case (:func:`long_item`).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invbench.contracts.media import Image, Waveform
from invbench.contracts.metric import Metric, MetricInputError, value_problem
from invbench.contracts.set_metric import SetMetric
from invbench.plugins.catalog import METRICS

EXAMPLES = 20
LONG_SECONDS = 8.0
RATES = (16000, 16000, 16000, 8000, 22050)
# DNSMOS scores every clip as 9 s windows of two ONNX nets (~0.5 s a call on 2 cores)
EXAMPLES_FOR = {"dnsmos": 8}


def fuzz(name: str) -> settings:
    return settings(max_examples=EXAMPLES_FOR.get(name, EXAMPLES), deadline=None, database=None,
                    derandomize=True, suppress_health_check=list(HealthCheck))


def _lpips() -> Metric:
    from invbench.metrics.lpips_distance import LPIPS

    def network(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (x - y).abs().mean().reshape(1)

    return LPIPS(network=network)


@functools.cache
def built(name: str) -> Metric:
    """The metric ``name`` as the harness builds it (default options), once per session."""
    return _lpips() if name == "lpips" else METRICS.get(name)()


# ----------------------------------------------------------------------------- values


def _samples(draw: Any, n: int) -> np.ndarray:
    """``n`` samples of one of several signal kinds, some outside what metrics accept."""
    kind = draw(st.sampled_from(
        ["noise", "tone", "zeros", "constant", "nan", "inf", "loud", "tiny", "clipped"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    t = np.arange(n) / 16000
    x = {
        "noise": lambda: rng.uniform(-0.5, 0.5, n),
        "tone": lambda: 0.4 * np.sin(2 * np.pi * 220 * t) * np.abs(np.sin(2 * np.pi * 3 * t)),
        "zeros": lambda: np.zeros(n),
        "constant": lambda: np.full(n, 0.25),
        "nan": lambda: np.where(np.arange(n) == n // 2, np.nan, rng.uniform(-0.5, 0.5, n)),
        "inf": lambda: np.where(np.arange(n) == 0, np.inf, 0.1),
        "loud": lambda: rng.uniform(-3.0, 3.0, n),
        "tiny": lambda: 1e-30 * rng.standard_normal(n),
        "clipped": lambda: np.sign(rng.standard_normal(n)),
    }[kind]()
    return x.astype(draw(st.sampled_from([np.float32, np.float64])))


@st.composite
def waves(draw: Any, like: Waveform | None = None) -> Any:
    """A Waveform (half valid clips of 0.4-2.5 s; else odd rates, NaN, empty, 2-D, integer);
    with ``like``, often a perturbed copy of it (equal length, so paired metrics compute)."""
    if like is not None and draw(st.booleans()):
        x = like.samples.detach().numpy().astype(np.float64)
        x = np.clip(x + draw(st.floats(0, 0.3)) * np.random.default_rng(1).standard_normal(x.shape),
                    -1, 1)
        return Waveform(torch.as_tensor(x), like.sample_rate)
    if draw(st.booleans()):  # a valid clip, so that the metric's computation is fuzzed too
        n = draw(st.integers(6000, 40000))
        kind = draw(st.sampled_from(["noise", "tone", "tone"]))
        rng = np.random.default_rng(draw(st.integers(0, 99)))
        t = np.arange(n) / 16000
        x = (rng.uniform(-0.5, 0.5, n) if kind == "noise" else 0.4 * np.sin(2 * np.pi * 220 * t)
             * np.abs(np.sin(2 * np.pi * 3 * t)) + 0.01 * rng.standard_normal(n))
        return Waveform(torch.as_tensor(x.astype(np.float32)), 16000)
    shape = draw(st.sampled_from(["short", "short", "empty", "one", "2d"]))
    rate = draw(st.sampled_from(RATES))
    if shape == "2d":
        return Waveform(torch.zeros(2, draw(st.integers(1, 4000))), rate)
    n = {"empty": 0, "one": 1}.get(shape, draw(st.integers(2, 40000)))
    samples = torch.as_tensor(_samples(draw, n))
    if draw(st.integers(0, 9)) == 0:
        samples = (samples.nan_to_num() * 100).to(torch.int16)  # integer samples
    return Waveform(samples, rate)


@st.composite
def images(draw: Any, like: Image | None = None) -> Any:
    if like is not None and draw(st.booleans()):
        noise = draw(st.floats(0, 0.2)) * torch.rand(like.pixels.shape, generator=_gen())
        return Image((like.pixels.float() + noise).clamp(0, 1))
    if draw(st.booleans()):  # valid, at the size the mini-CLIP judges take
        return Image(torch.rand(3, 64, 64, generator=_gen(draw(st.integers(0, 99)))))
    channels = draw(st.sampled_from([3, 3, 3, 1, 4]))
    height, width = draw(st.sampled_from([(64, 64), (64, 64), (32, 32), (0, 0), (1, 1),
                                          (7, 64), (70, 70)]))
    pixels = torch.rand(channels, height, width, generator=_gen(draw(st.integers(0, 99))))
    kind = draw(st.sampled_from(["ok", "ok", "nan", "loud", "uint8", "double", "3d-only"]))
    if kind == "nan" and pixels.numel():
        pixels.view(-1)[0] = math.nan
    elif kind == "loud":
        pixels = pixels * 4 - 2
    elif kind == "uint8":
        pixels = (pixels * 255).to(torch.uint8)
    elif kind == "double":
        pixels = pixels.double()
    elif kind == "3d-only":
        pixels = pixels[0]
    return Image(pixels)


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


TEXTS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "   ", "\n", "hello world", "The cat sat.", "ünïcödé ✓ 漢字", "a" * 300]),
)
BAD = st.sampled_from([None, 3, 2.5, b"bytes", ["a", "list"], np.zeros(3)])


def tensors(min_dims: int = 1) -> st.SearchStrategy:
    shapes = st.lists(st.integers(0, 6), min_size=min_dims, max_size=3)
    kinds = st.sampled_from(["float", "float", "nan", "double", "long", "bool"])

    def build(shape: list[int], kind: str, seed: int) -> torch.Tensor:
        x = torch.randn(*shape, generator=_gen(seed))
        if kind == "nan" and x.numel():
            x.view(-1)[0] = math.nan
        return {"double": x.double(), "long": x.long(), "bool": x > 0}.get(kind, x)

    return st.builds(build, shapes, kinds, st.integers(0, 99))


@st.composite
def token_items(draw: Any) -> dict[str, Any]:
    """Fields of the token metrics: a table, a mask, soft embeddings, ids and strings, each
    sometimes of a shape that does not fit the others."""
    vocab, dim = draw(st.integers(1, 12)), draw(st.sampled_from([2, 4]))
    table = torch.randn(vocab, dim, generator=_gen(draw(st.integers(0, 99))))
    mask = torch.rand(vocab, generator=_gen(1)) > draw(st.floats(0, 1))
    soft = torch.randn(draw(st.integers(0, 5)), dim, generator=_gen(2))
    ids = draw(st.lists(st.integers(0, vocab - 1) if draw(st.booleans())
                        else st.integers(-3, vocab + 3), max_size=6))
    strings = [f"t{i}" for i in range(vocab)]
    item = {"embedding_table": table, "prompt_token_mask": mask, "soft_embeddings": soft,
            "token_ids": ids, "token_strings": strings}
    broken = draw(st.lists(st.sampled_from(sorted(item)), min_size=1, max_size=2, unique=True))
    for name in broken if draw(st.booleans()) else []:
        item[name] = draw(st.one_of(tensors(), BAD, st.just([]), st.just("text")))
    return item


AUDIO = ("audio", "reference_audio", "carrier_audio", "soft_audio")
IMAGE = ("image", "reference_image", "soft_image")
TEXT = ("hypothesis", "target_text")
TOKENS = ("soft_embeddings", "embedding_table", "prompt_token_mask", "token_ids",
          "token_strings")


@st.composite
def items(draw: Any, requires: tuple[str, ...]) -> dict[str, Any]:
    """One item for a metric requiring ``requires``: the first field of a kind is drawn freely,
    the next ones often as a perturbed copy of it; sometimes a field is None or not its type."""
    item: dict[str, Any] = {}
    if any(name in TOKENS for name in requires):
        item.update(draw(token_items()))
    first: dict[str, Any] = {}
    for name in requires:
        if name in TOKENS:
            continue
        if draw(st.integers(0, 7)) == 0:
            item[name] = draw(BAD)
        elif name in AUDIO:
            item[name] = draw(waves(first.get("audio")))
            first.setdefault("audio", item[name] if isinstance(item[name], Waveform) else None)
        elif name in IMAGE:
            item[name] = draw(images(first.get("image")))
            first.setdefault("image", item[name] if isinstance(item[name], Image) else None)
        elif name in TEXT:
            item[name] = draw(TEXTS)
        else:
            raise AssertionError(f"no fuzz strategy for field {name!r}: add one")
    return {name: item[name] for name in requires}


def long_item(requires: tuple[str, ...], seconds: float = LONG_SECONDS,
              side: int = 256) -> dict[str, Any]:
    """The one very long case per metric: ``seconds`` of audio (its pair a noisy copy), a
    ``side``-pixel square image (the CLIP judges take only 64), a 150-word text (CER/WER are
    quadratic in it), a 5000-token vocabulary."""
    t = torch.arange(int(seconds * 16000)) / 16000
    tone = 0.4 * torch.sin(2 * math.pi * 220 * t) * torch.sin(2 * math.pi * 3 * t).abs()
    noisy = (tone + 0.01 * torch.randn(t.shape, generator=_gen())).clamp(-1, 1)
    picture = torch.rand(3, side, side, generator=_gen())
    vocab = 5000
    fields = {
        "audio": Waveform(noisy, 16000), "soft_audio": Waveform(noisy.flip(0), 16000),
        "reference_audio": Waveform(tone, 16000), "carrier_audio": Waveform(tone, 16000),
        "image": Image((picture + 0.05).clamp(0, 1)), "soft_image": Image(picture.flip(1)),
        "reference_image": Image(picture), "hypothesis": "word " * 150,
        "target_text": "a word " * 75, "soft_embeddings": torch.randn(64, 4, generator=_gen()),
        "embedding_table": torch.randn(vocab, 4, generator=_gen(1)),
        "prompt_token_mask": torch.ones(vocab, dtype=torch.bool),
        "token_ids": list(range(0, vocab, 50)), "token_strings": [f"t{i}" for i in range(vocab)],
    }
    return {name: fields[name] for name in requires}


# ----------------------------------------------------------------------------- checks


def check_item(metric: Metric, item: dict[str, Any]) -> bool:
    """The contract for one item: MetricInputError, ``{}``, or every output finite in range;
    whether a value was computed."""
    try:
        if isinstance(metric, SetMetric):
            features = metric.item_features(**item)
        else:
            values = metric.score_item(**item)
    except MetricInputError as exc:
        assert str(exc).strip(), f"{metric.name}: an input error without a reason"
        return False
    except Exception as exc:  # the bug this test exists to find
        raise AssertionError(
            f"{metric.name}: {type(exc).__name__}: {exc} on {_describe(item)}"
        ) from exc
    if isinstance(metric, SetMetric):
        assert isinstance(features, np.ndarray) and features.ndim == 1, features
        assert np.isfinite(features).all(), f"{metric.name}: non-finite features"
        return True
    declared = {o.name: o.value_range for o in metric.outputs}
    assert not values or set(values) == set(declared), f"{metric.name}: {values}"
    # a value is recordable (never NaN; an infinity only where the range reaches it, e.g.
    # PSNR of identical images) and inside its declared range
    assert value_problem(metric.outputs, values) is None, f"{metric.name}: {values}"
    for key, value in values.items():
        low, high = declared[key]
        assert isinstance(value, float) and low <= value <= high, (
            f"{metric.name}: {key} = {value!r} outside [{low}, {high}] on {_describe(item)}"
        )
    return bool(values)


def _describe(item: dict[str, Any]) -> str:
    def one(v: Any) -> str:
        if isinstance(v, Waveform):
            s = v.samples
            return f"Waveform({tuple(s.shape)}, {s.dtype}, {v.sample_rate} Hz)"
        if isinstance(v, Image):
            return f"Image({tuple(v.pixels.shape)}, {v.pixels.dtype})"
        if isinstance(v, torch.Tensor):
            return f"tensor({tuple(v.shape)}, {v.dtype})"
        return repr(v)[:60]

    return "{" + ", ".join(f"{k}: {one(v)}" for k, v in item.items()) + "}"


NAMES = sorted(METRICS.names())
# fields a valid item of a metric needs beyond long_item's: consistency_margin's foils come from
# the Shapes world's grammar, so its target must be a caption of that world
VALID_FIELDS = {"consistency_margin": {"target_text": (
    "a large red circle left of a small blue square above a large green ring "
    "on a white background")}}


@pytest.mark.parametrize("name", NAMES)
def test_fuzzed_inputs_give_a_value_or_a_reason(name: str) -> None:
    metric = built(name)
    seen: list[dict[str, Any]] = []

    @fuzz(name)
    @given(items(metric.requires))
    def run(item: dict[str, Any]) -> None:
        check_item(metric, item)
        if len(seen) < 3:
            seen.append(item)

    run()
    check_item(metric, long_item(metric.requires))
    # valid, so it must compute: a metric that refused everything would pass the fuzz alone
    valid = {**long_item(metric.requires, seconds=2.0, side=64), **VALID_FIELDS.get(name, {})}
    assert check_item(metric, valid), f"{name}: a valid item got no value"
    fields = {k: [item[k] for item in seen] for k in metric.requires}
    scored = metric.features(fields) if isinstance(metric, SetMetric) else metric.score(fields)
    assert len(scored) == len(seen)  # the batch path never raises and keeps every item


def test_every_registered_metric_is_fuzzed() -> None:
    """A metric registered later gets fuzzed too (its fields must have a strategy above)."""
    fields = {f for name in NAMES for f in built(name).requires}
    assert fields <= set(AUDIO + IMAGE + TEXT + TOKENS), fields - set(AUDIO + IMAGE + TEXT + TOKENS)
    assert len(NAMES) >= 21


EMPTY = Image(torch.zeros(3, 0, 0))


@pytest.mark.parametrize(
    ("name", "item", "reason"),
    [  # what the fuzzing found (each was a bare exception before its fix)
        ("psnr", {"image": EMPTY, "reference_image": EMPTY}, "image is empty"),
        ("ssim", {"image": EMPTY, "reference_image": EMPTY}, "image is empty"),
        ("lpips", {"image": EMPTY, "reference_image": EMPTY}, "image is empty"),
        ("stoi", {"audio": Waveform(torch.full((2,), 0.1), 16000),
                  "reference_audio": Waveform(torch.full((2,), 0.1), 16000)},
         "shorter than the 30 STFT frames"),
    ],
)
def test_found_by_fuzzing(name: str, item: dict[str, Any], reason: str) -> None:
    with pytest.raises(MetricInputError, match=reason):
        built(name).score_item(**item)
