"""The paper suite's judges (open_clip ViT-L/14, Inception-v3 FID, LPIPS) and the ASR transfer.

What runs here: the judges' backends (``open_clip``, ``torch_fidelity``, ``lpips``) need
torchvision, whose wheels here are CUDA builds that break ``transformers``. The real judge
networks run in the paper lane (``lanes/paper/tests/test_real_judges.py``, ``docs/paper-lane.md``)
with random weights, checked against each library's own forward; the released weights are tested
nowhere (nothing is downloaded). What is tested here:

- binding a task metric whose judge is missing gives an ``UnavailableMetric`` with the exact
  reason, whose signature loads nothing, and whose items (set-level too) record
  ``<name> skipped: <reason>`` while the other metrics' scores are kept;
- the judges' assets report missing with the install hint and the right cache paths, and
  ``load_judge`` refuses unknown names listing the known ones, and models that are no judge;
- the pure pieces the backends are fed by: open_clip's resize/centre-crop/normalise and
  torch-fidelity's uint8 quantisation as torch functions, LPIPS' input scaling and validation
  (with an injected network), its AlexNet minimum size and weight-key mapping;
- the ASR family's transfer field with two real Whisper tiny.en instances.

The backends are forced absent (``sys.modules[name] = None``) and the weight caches pointed at
empty folders, so the outcome does not depend on what this machine has installed.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from torch import nn

from invbench.assets import HubRepo, PythonPackage, UrlFile
from invbench.contracts.errors import InvbenchError
from invbench.contracts.inversion import Inversion
from invbench.contracts.media import Image, Waveform
from invbench.contracts.metric import MetricInputError
from invbench.contracts.set_metric import SetMetric
from invbench.contracts.task_spec import MetricRef, TaskSpec
from invbench.metrics import clip_score as clip_module
from invbench.metrics import lpips_distance
from invbench.metrics.clip_score import CLIPScore, RandomProjectionJudge, load_judge
from invbench.metrics.image_similarity import ssim
from invbench.metrics.lpips_distance import LPIPS, lpips_inputs
from invbench.models.judges import inception as inception_judge
from invbench.models.judges import openclip as openclip_judge
from invbench.plugins.catalog import METRICS
from invbench.scoring.apply import apply_metrics, output_info
from invbench.scoring.metric_binding import (
    UnavailableMetric,
    UnavailableSetMetric,
    bind_metric,
    bind_metrics,
    metric_assets,
)
from invbench.targets.target_set import TargetItem, TargetSet

HINT = "pip install 'invbench[judges]'"
MORE = " and 2 more missing asset(s); see `invbench doctor`"
REASONS = {
    "clip_score": f"needs the judges extra (module 'open_clip' not installed; {HINT}){MORE}",
    "fid_kid": f"needs the judges extra (module 'torch_fidelity' not installed; {HINT}){MORE}",
    "lpips": f"needs the judges extra (module 'lpips' not installed; {HINT}){MORE}",
}
REFS = {
    "clip_score": MetricRef(id="clip_score", options={"model": "openclip-vit-l-14"}),
    "fid_kid": MetricRef(id="fid_kid", options={"model": "inception-v3-fid"}),
    "lpips": MetricRef(id="lpips"),
}
BACKENDS = ("open_clip", "torch_fidelity", "lpips", "torchvision")


@pytest.fixture(autouse=True)
def no_backends(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Backends unimportable, empty torch hub and HF caches, ``lpips`` registered."""
    import huggingface_hub.constants

    for module in BACKENDS:
        monkeypatch.setitem(sys.modules, module, None)  # import raises ModuleNotFoundError
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    return tmp_path


def _image(value: float | torch.Tensor, size: int = 64) -> Image:
    pixels = value if isinstance(value, torch.Tensor) else torch.full((3, size, size), value)
    return Image(pixels)


# --- unavailable metrics --------------------------------------------------------------------


@pytest.mark.parametrize("name", list(REFS))
def test_a_missing_judge_binds_an_unavailable_metric_with_the_reason(name: str) -> None:
    metric = bind_metric(REFS[name], {})
    real = METRICS.get(name)
    assert isinstance(metric, UnavailableMetric)
    assert isinstance(metric, SetMetric) is issubclass(real, SetMetric)
    assert metric.reason == REASONS[name]
    assert (metric.name, metric.requires, metric.outputs) == (name, real.requires, real.outputs)
    assert metric.signature() == f"{name}|unavailable:{REASONS[name]}|version:{real.version}"
    assert [a.key for a in metric.required_assets()][:1] == [f"python:{_module(name)}"]


def _module(name: str) -> str:
    return {"clip_score": "open_clip", "fid_kid": "torch_fidelity", "lpips": "lpips"}[name]


def test_the_signature_and_scores_load_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a judge was loaded")

    monkeypatch.setattr(clip_module, "load_judge", refuse)
    monkeypatch.setattr(lpips_distance, "load_lpips", refuse)
    metrics = [bind_metric(ref, {}) for ref in REFS.values()]
    info = output_info(metrics, list(REFS.values()))
    assert info["clip_score"]["signature"].startswith("clip_score|unavailable:needs the judges")
    assert info["fid"]["set_metric"] == {"id": "fid_kid", "options": {"model": "inception-v3-fid"}}
    assert info["lpips"]["higher_is_better"] is False and info["lpips"]["range"] == [0.0, None]
    fields = {"image": [_image(0.5)], "reference_image": [_image(0.4)], "target_text": ["a"]}
    assert all(r.errors for r in apply_metrics(metrics, fields, 1))


def test_applied_unavailable_metrics_record_the_reason_and_keep_other_scores() -> None:
    spec = TaskSpec(
        name="captioner/judges", version=1, family="captioner", suite="paper", description="d",
        forward_model={"id": "shapes-captioner"},
        targets={"name": "s", "version": 1, "content_sha256": "0" * 64},
        metrics=["ssim", *REFS.values()], main_scores={"quality": "ssim"},
    )  # fmt: skip
    metrics = bind_metrics(spec, {})
    ramp = torch.linspace(0.1, 0.9, 3 * 64 * 64).reshape(3, 64, 64)
    fields = {
        "image": [_image(ramp), _image(1.0 - ramp)],
        "reference_image": [_image(ramp * 0.9), _image(ramp)],
        "target_text": ["a red circle", "a blue square"],
    }
    results = apply_metrics(metrics, fields, 2)
    for k, result in enumerate(results):
        expected = ssim(fields["image"][k].pixels, fields["reference_image"][k].pixels)
        assert result.scores == {"ssim": pytest.approx(expected, abs=1e-12)}
        assert result.errors == {name: f"{name} skipped: {REASONS[name]}" for name in REFS}
        assert result.features == {}


def test_an_unavailable_set_metric_gives_a_clear_reference_error_and_no_value() -> None:
    from invbench.harness.evaluation import _store_set_references
    from invbench.leaderboard.set_scores import set_metric_values
    from invbench.store.records import SetMetricRef

    metric = bind_metric(REFS["fid_kid"], {})
    assert isinstance(metric, UnavailableSetMetric)
    pool = [{"image": _image(v / 10)} for v in range(4)]
    target_set = TargetSet("pool", 1, "0" * 64, Path("."), {}, [], pool)
    spec = TaskSpec(name="captioner/judges", version=1, family="captioner", suite="paper",
                    description="d", forward_model={"id": "shapes-captioner"},
                    targets={"name": "pool", "version": 1, "content_sha256": "0" * 64},
                    metrics=[REFS["fid_kid"]], main_scores={"quality": "kid"})

    class Store:
        records: list[dict] = []

        def append(self, record) -> None:
            self.records.append(record)

    logged: list[str] = []
    _store_set_references(spec, target_set, [metric], set(), Store(), logged.append)
    [record] = Store.records
    assert record.status == "error"
    assert record.message == f"4 pool item(s) failed: fid_kid skipped: {REASONS['fid_kid']}"
    assert logged[-1] == f"warning: {record.message}"
    with pytest.raises(InvbenchError, match="fid_kid skipped: needs the judges extra"):
        metric.compute(np.zeros((2, 3)), np.zeros((2, 3)))
    spec = SetMetricRef(id="fid_kid", options={"model": "inception-v3-fid"})
    values = set_metric_values([], spec, metric.signature(), None, resamples=10, seed=0,
                               level=0.95)
    assert set(values) == {"fid", "kid"} and all(math.isnan(v[0]) for v in values.values())


def test_available_judges_bind_the_real_metric() -> None:
    assert type(bind_metric(MetricRef(id="clip_score", options={"model": "mini-clip"}), {})) \
        is CLIPScore
    assert metric_assets(CLIPScore(model="mini-clip")) == []
    assert metric_assets(CLIPScore(model="openclip-vit-l-14", judge=RandomProjectionJudge())) == []
    assert metric_assets(LPIPS(network=lambda x, y: torch.zeros(1))) == []


def test_metrics_declare_their_judges_assets_without_loading() -> None:
    from invbench.metrics.image_distribution import ImageDistribution

    def keys(assets: list) -> list[str]:
        return [a.key for a in assets]

    openclip = keys(openclip_judge.assets())
    assert keys(CLIPScore(model="openclip-vit-l-14").required_assets()) == openclip
    assert keys(metric_assets(CLIPScore(model="openclip-vit-l-14"))) == openclip
    inception = ImageDistribution(model="inception-v3-fid")
    assert keys(metric_assets(inception)) == keys(inception_judge.assets())
    assert keys(LPIPS().required_assets()) == keys(lpips_distance.assets())
    remapped = bind_metric(MetricRef(id="lpips", prefix="soft_", fields={"image": "soft_image"}),
                           {})
    assert remapped.name == "soft_lpips" and remapped.requires == ("soft_image", "reference_image")
    assert [o.name for o in remapped.outputs] == ["soft_lpips"]
    assert keys(metric_assets(remapped)) == keys(lpips_distance.assets())
    assert remapped.signature().startswith("soft_lpips|unavailable:needs the judges extra")
    assert inception._judge is None and "torch_fidelity" not in {
        k for k, v in sys.modules.items() if v is not None}


def test_unknown_judges_are_refused_listing_the_known_ones() -> None:
    with pytest.raises(InvbenchError, match=r"unknown model 'nope' \(known: .*inception-v3-fid, "
                                            r"mini-clip, .*openclip-vit-l-14"):
        load_judge("nope")
    with pytest.raises(InvbenchError, match="did you mean 'openclip-vit-l-14'"):
        bind_metric(MetricRef(id="fid_kid", options={"model": "openclip-vit-l14"}), {})


def test_a_model_that_is_no_judge_is_refused() -> None:
    from invbench.plugins.catalog import MODELS

    MODELS.add("not-a-judge-test", lambda device: object(), origin="test")
    try:
        with pytest.raises(InvbenchError, match="model 'not-a-judge-test' is not a judge CLIP"):
            load_judge("not-a-judge-test")
    finally:
        MODELS.remove("not-a-judge-test")


# --- assets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assets", "module", "weights"),
    [
        (openclip_judge.assets, "open_clip", "hf:timm/vit_large_patch14_clip_224.openai"),
        (inception_judge.assets, "torch_fidelity",
         "file:weights-inception-2015-12-05-6726825d.pth"),
        (lpips_distance.assets, "lpips", "file:alexnet-owt-7be5be79.pth"),
    ],
)
def test_judge_assets_report_missing_with_the_install_hint(assets, module, weights,
                                                           no_backends) -> None:
    found = assets()
    assert [a.key for a in found] == [f"python:{module}", "python:torchvision", weights]
    assert all(a.required is False for a in found)
    for package in found[:2]:
        assert isinstance(package, PythonPackage)
        status = package.check()
        assert not status.present
        assert status.detail == f"module {package.module!r} not installed; install: {HINT}"
    status = found[2].check()
    assert not status.present and "invbench prefetch" in status.detail
    if isinstance(found[2], UrlFile):
        assert Path(found[2].path) == no_backends / "hub" / "checkpoints" / weights[5:]
        assert found[2].url.endswith(weights[5:])
    else:
        assert isinstance(found[2], HubRepo)
        assert found[2].allow_patterns == ("open_clip_model.safetensors",)


def test_judge_constructors_fail_with_the_same_hint() -> None:
    with pytest.raises(InvbenchError, match=r"needs the judges extra: module 'open_clip' not"):
        openclip_judge.OpenCLIPJudge()
    with pytest.raises(InvbenchError, match=r"needs the judges extra: module 'torch_fidelity'"):
        inception_judge.InceptionJudge()
    with pytest.raises(InvbenchError, match=r"needs python:lpips: module 'lpips' not installed"):
        lpips_distance.load_lpips.__wrapped__()


# --- open_clip preprocessing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("height", "width", "expected"),
    [(224, 224, (224, 224)), (480, 640, (224, 298)), (640, 480, (298, 224)),
     (100, 50, (448, 224)), (64, 64, (224, 224))],
)
def test_shorter_side_resize_matches_torchvision_sizes(height, width, expected) -> None:
    assert openclip_judge.resized_size(height, width) == expected


@pytest.mark.parametrize("shape", [(64, 64), (300, 200), (224, 224), (511, 1023)])
def test_resize_and_crop_keep_a_constant_image_constant(shape) -> None:
    out = openclip_judge.resize_center_crop(torch.full((2, 3, *shape), 0.3))
    assert out.shape == (2, 3, 224, 224)
    assert torch.allclose(out, torch.full_like(out, 0.3), atol=1e-6)


@pytest.mark.parametrize(("width", "left"), [(300, 38), (301, 38), (303, 40)])
def test_centre_crop_offsets_round_like_torchvision(width, left) -> None:
    ramp = torch.arange(width, dtype=torch.float32).expand(1, 3, 224, width) / width
    out = openclip_judge.resize_center_crop(ramp)  # short side already 224: crop only
    assert torch.equal(out, ramp[..., left:left + 224])


def test_resize_uses_antialiased_bicubic_and_clamps() -> None:
    checker = (torch.arange(112)[:, None] + torch.arange(112)[None, :]) % 2
    x = checker.to(torch.float32).expand(1, 3, 112, 112)
    out = openclip_judge.resize_center_crop(x)
    reference = torch.nn.functional.interpolate(x, size=(224, 224), mode="bicubic",
                                                align_corners=False, antialias=True)
    assert float(reference.max()) > 1.0 and float(reference.min()) < 0.0  # overshoot
    assert torch.equal(out, reference.clamp(0, 1))


def test_normalise_uses_openai_statistics() -> None:
    mean = torch.tensor(openclip_judge.MEAN).view(1, 3, 1, 1).expand(1, 3, 224, 224)
    assert torch.allclose(openclip_judge.preprocess(mean), torch.zeros(1, 3, 224, 224), atol=1e-6)
    ones = openclip_judge.preprocess(torch.ones(1, 3, 224, 224))
    expected = [(1 - m) / s for m, s in zip(openclip_judge.MEAN, openclip_judge.STD, strict=True)]
    assert ones[0, :, 0, 0].tolist() == pytest.approx(expected, rel=1e-6)
    assert ones.dtype == torch.float32


def test_judge_image_accepts_any_size_only_for_resizing_judges() -> None:
    class Resizing(RandomProjectionJudge):
        accepts_any_size = True

        def image_features(self, pixels: torch.Tensor) -> torch.Tensor:
            return super().image_features(openclip_judge.resize_center_crop(pixels, 64))

    big = _image(0.25, size=96)
    assert clip_module.judge_image(Resizing(), big, "image_features").shape == (384,)
    with pytest.raises(MetricInputError, match=r"shape \(3, 96, 96\)"):
        clip_module.judge_image(RandomProjectionJudge(), big)
    tagged = Resizing()
    tagged.signature_tag = "resize-x"
    assert clip_module.judge_name(tagged, "m") == "random-projection/resize-x"
    assert clip_module.judge_name(RandomProjectionJudge(), "m") == "random-projection"


# --- torch-fidelity quantisation ---------------------------------------------------------------


def test_uint8_quantisation_gives_the_bytes_of_the_png_artifacts() -> None:
    import io

    from PIL import Image as PILImage

    from invbench.fs.png import png_from_pixels

    x = torch.tensor([0.0, 0.5, 0.2, 0.7 / 255, 1.0])
    assert inception_judge.quantize_uint8(x).tolist() == [0, 128, 51, 1, 255]
    pixels = torch.rand(3, 16, 16, generator=torch.Generator().manual_seed(0))
    pixels[0, 0, :4] = torch.tensor([0.0, 0.5, 1.0, 1.5 / 255])
    png = np.asarray(PILImage.open(io.BytesIO(png_from_pixels(pixels))).convert("RGB"))
    assert np.array_equal(inception_judge.quantize_uint8(pixels).permute(1, 2, 0).numpy(), png)


@pytest.mark.parametrize("bad", [torch.tensor([1.5]), torch.tensor([float("nan")]),
                                 torch.tensor([-0.1]), torch.tensor([3], dtype=torch.uint8)])
def test_uint8_quantisation_refuses_what_it_would_have_to_clamp(bad) -> None:
    with pytest.raises(ValueError, match="pixels must be"):
        inception_judge.quantize_uint8(bad)


# --- LPIPS ------------------------------------------------------------------------------------


def test_lpips_inputs_are_scaled_to_minus_one_one() -> None:
    ramp = torch.linspace(0, 1, 3 * 32 * 32).reshape(3, 32, 32)
    x, y = lpips_inputs(_image(ramp), _image(torch.full((3, 32, 32), 0.25)))
    assert x.shape == y.shape == (1, 3, 32, 32) and x.dtype == torch.float32
    assert torch.allclose(x[0], 2 * ramp - 1) and float(x.min()) == -1.0
    assert torch.equal(y, torch.full_like(y, -0.5))


@pytest.mark.parametrize(
    ("image", "reference", "match"),
    [
        (_image(0.5, 32), _image(0.5, 40), r"image has shape \(3, 32, 32\) but reference_image"),
        (_image(0.5, 30), _image(0.5, 30), "LPIPS\\(alex\\) needs at least 31×31"),
        (_image(0.5, 32), _image(1.5, 32), r"reference_image .*\[0.0, 1.0\]"),
        (_image(float("nan"), 32), _image(0.5, 32), "NaN"),
        ("not an image", _image(0.5, 32), "image must be an Image"),
    ],
)
def test_lpips_inputs_are_validated_not_fixed(image, reference, match) -> None:
    with pytest.raises(MetricInputError, match=match):
        lpips_inputs(image, reference)


def test_lpips_metric_with_an_injected_network() -> None:
    seen = []

    def network(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        seen.append((x, y))
        return ((x - y) ** 2).mean().reshape(1, 1, 1, 1)

    network.name = "mse-stand-in"  # type: ignore[attr-defined]
    metric = LPIPS(network=network)
    value = metric.score_item(image=_image(1.0, 32), reference_image=_image(0.5, 32))
    assert value == {"lpips": pytest.approx(1.0)}  # (1 - 0)^2 in [-1, 1] units
    assert float(seen[0][0].max()) == 1.0 and float(seen[0][1].max()) == 0.0
    assert metric.score_item(image=_image(1.0, 32), reference_image=None) == {}
    [bad] = metric.score({"image": [_image(0.5, 16)], "reference_image": [_image(0.5, 16)]})
    assert bad.error == "lpips: image is 16×16; LPIPS(alex) needs at least 31×31"
    assert "|net:mse-stand-in|" in metric.signature()
    signature = LPIPS().signature()
    for part in ("|net:alex|", "|backbone:alexnet-owt-7be5be79|", "|lpips_version:0.1|",
                 "|spatial:False|", "|scale:2x-1|", "|package:lpips-"):
        assert part in signature
    assert signature.endswith("|version:1")


def _lpips_alexnet() -> tuple[nn.Sequential, nn.Module]:
    """torchvision's AlexNet ``features`` and lpips' five slices over the same modules
    (written from both libraries' source: Conv 11/4/2, ReLU, MaxPool 3/2, Conv 5/1/2, ...)."""
    features = nn.Sequential(
        nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 256, 3, padding=1),
        nn.ReLU(), nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(),
    )  # fmt: skip
    slices = nn.Module()
    for k, (lo, hi) in enumerate(lpips_distance.SLICES, 1):
        block = nn.Sequential()
        for i in range(lo, hi):
            block.add_module(str(i), features[i])
        slices.add_module(f"slice{k}", block)
    return features, slices


def test_alexnet_minimum_size_and_weight_key_mapping() -> None:
    features, slices = _lpips_alexnet()
    features(torch.zeros(1, 3, lpips_distance.MIN_SIZE, lpips_distance.MIN_SIZE))
    with pytest.raises(RuntimeError):
        features(torch.zeros(1, 3, lpips_distance.MIN_SIZE - 1, lpips_distance.MIN_SIZE - 1))
    state = {f"features.{k}": v.clone() + 1 for k, v in features.state_dict().items()}
    state["classifier.1.weight"] = torch.zeros(2, 2)
    mapped = lpips_distance._slice_keys(state)
    assert sorted(mapped) == sorted(slices.state_dict())
    slices.load_state_dict(mapped, strict=True)
    assert torch.equal(slices.slice2.get_submodule("3").weight, state["features.3.weight"])


# --- ASR transfer --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def whispers():
    from invbench.models.whisper.asr import WhisperASR

    torch.set_num_threads(2)
    return WhisperASR("tiny.en"), WhisperASR("tiny.en")


def test_asr_transfer_judge_fills_transfer_hypothesis(whispers) -> None:
    from invbench.families.asr import ASRFamily

    model, judge = whispers
    root = Path(__file__).resolve().parents[2] / "data" / "targets" / "transcripts-mini"
    row = json.loads((root / "targets.jsonl").read_text().splitlines()[0])
    samples, rate = sf.read(root / row["hidden"]["audio"], dtype="float32")
    item = TargetItem(row["id"], row["target"], {})
    wave = Waveform(torch.from_numpy(samples), rate)
    adapter = ASRFamily({"transfer": judge})
    fields, outputs = adapter.scoring_fields(model, [item], [Inversion(x=wave)])
    assert fields["transfer_hypothesis"] == fields["hypothesis"]  # the same weights
    assert outputs == [{"transcript": fields["hypothesis"][0],
                        "transfer_transcript": fields["transfer_hypothesis"][0]}]
    assert judge.calls.forward == 1 and model.calls.forward == 1
    sources = adapter.field_sources()
    assert sources == {"transfer_hypothesis": f"whisper:tiny.en@{judge.weights_sha256[:12]}"}
    ref = MetricRef(id="wer", prefix="transfer_", fields={"hypothesis": "transfer_hypothesis"})
    metrics = [bind_metric(MetricRef(id="wer"), sources), bind_metric(ref, sources)]
    [result] = apply_metrics(metrics, fields, 1)
    assert result.errors == {}
    assert result.scores["transfer_wer"] == result.scores["wer"] == 0.0  # "Bring the umbrella."
    assert "source:transfer_hypothesis=whisper:tiny.en@" in metrics[1].signature()
    assert "transfer_hypothesis" not in ASRFamily().scoring_fields(
        model, [item], [Inversion(x=wave)])[0]
