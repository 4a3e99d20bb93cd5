"""The paper judges' real classes, random weights, through invbench's adapters: each against the
library's own forward on the same input.

- open_clip ViT-L/14 at a tiny width (:mod:`judge_weights`): ``OpenCLIPJudge`` built by its own
  loader from a planted hub cache, against open_clip's ``encode_image`` on open_clip's own eval
  transform (PIL, 224×224) and ``encode_text`` on open_clip's tokenizer.
- torch-fidelity's ``FeatureExtractorInceptionV3`` (full size): ``InceptionJudge`` against the
  extractor torch-fidelity builds from the same file, fed ``round(255 x)`` as uint8.
- LPIPS(alex): invbench's ``load_lpips`` and the ``lpips`` metric against ``lpips.LPIPS(net=
  "alex")`` built by lpips itself on the same planted AlexNet.

What this does not cover: the released weights (nothing can be downloaded here), so the
numbers of published CLIPScore/FID/LPIPS values are not reproduced, only the code paths.
"""

from __future__ import annotations

import hashlib
import shutil
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from judge_weights import ALEXNET_FILE, INCEPTION_FILE, JudgeWeights
from PIL import Image as PILImage

from invbench.contracts.errors import InvbenchError
from invbench.contracts.media import Image
from invbench.metrics import lpips_distance
from invbench.models.judges import inception, openclip

pytestmark = [
    # lpips 0.1.4 calls torchvision's alexnet(pretrained=...), deprecated since torchvision 0.13
    pytest.mark.filterwarnings("ignore:The parameter 'pretrained' is deprecated:UserWarning"),
    pytest.mark.filterwarnings("ignore:Arguments other than a weight enum:UserWarning"),
]
TEXTS = ["a photo of a cat", "", "two dogs " * 60]  # the last is cut at 77 tokens
# Same weights, same float32 ops; only reduction order may differ (the judge batches a float
# tensor where open_clip's transform builds one per PIL image): 1e-5 absolute on embeddings of
# norm ~1-10. Measured: 0 (bit-identical) on this machine.
CLIP_ATOL = 1e-5


def _images(seed: int = 0) -> torch.Tensor:
    """Two 224×224 uint8 images: uniform noise and a smooth colour ramp."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randint(0, 256, (3, 224, 224), generator=generator, dtype=torch.uint8)
    ramp = torch.linspace(0, 255, 224).round().to(torch.uint8)
    smooth = torch.stack([ramp.expand(224, 224), ramp.expand(224, 224).T,
                          ramp.flip(0).expand(224, 224)])
    return torch.stack([noise, smooth])


def _open_clip_reference(weights: JudgeWeights, images: torch.Tensor) -> torch.Tensor:
    """``encode_image`` of the saved model on open_clip's own eval transform of PIL images."""
    import open_clip

    _, _, transform = open_clip.create_model_and_transforms("ViT-L-14", pretrained="openai")
    batch = torch.stack([transform(PILImage.fromarray(x.permute(1, 2, 0).numpy()))
                         for x in images])
    with torch.no_grad():
        return weights.clip_model.encode_image(batch)


def test_openclip_judge_equals_open_clips_own_forward(planted_judges: JudgeWeights) -> None:
    import open_clip

    judge = openclip.load_openclip_judge()
    images = _images()
    pixels = images.to(torch.float32) / 255.0
    expected = _open_clip_reference(planted_judges, images)
    features = judge.image_features(pixels)
    assert features.shape == (2, 32) and features.dtype == torch.float32
    torch.testing.assert_close(features, expected, rtol=0, atol=CLIP_ATOL)
    torch.testing.assert_close(judge.embed_images(pixels), F.normalize(expected, dim=-1),
                               rtol=0, atol=CLIP_ATOL)
    assert not torch.allclose(features[0], features[1], atol=1e-2)  # the images differ
    tokens = open_clip.get_tokenizer("ViT-L-14")(TEXTS)
    assert tokens.shape == (3, 77)
    with torch.no_grad():
        text_expected = F.normalize(planted_judges.clip_model.encode_text(tokens), dim=-1)
    texts = judge.embed_texts(TEXTS)
    torch.testing.assert_close(texts, text_expected, rtol=0, atol=CLIP_ATOL)
    for unit in (judge.embed_images(pixels), texts):
        torch.testing.assert_close(unit.norm(dim=-1), torch.ones(len(unit)), rtol=0, atol=1e-6)


def test_openclip_judge_names_the_planted_file(planted_judges: JudgeWeights) -> None:
    judge = openclip.load_openclip_judge()
    digest = hashlib.sha256(planted_judges.clip_file.read_bytes()).hexdigest()
    assert judge.weights_sha256 == judge.text_weights_sha256 == digest
    assert openclip._weights_file() == str(planted_judges.clip_file)
    assert judge.describe()["weights_sha256"] == digest
    assert judge.signature_tag.endswith("+float32+open_clip-3.3.0")
    assert openclip.load_openclip_judge() is judge  # one shared instance per (device, dtype)


def test_a_damaged_planted_clip_file_is_one_line_naming_it(
        planted_judges: JudgeWeights, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    cache = tmp_path / "hf"
    shutil.copytree(planted_judges.hf_cache, cache, symlinks=True)  # the shared copy stays whole
    link = cache / planted_judges.clip_file.relative_to(planted_judges.hf_cache)
    blob = link.resolve()
    blob.write_bytes(blob.read_bytes()[: blob.stat().st_size // 2])  # a truncated download
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    with pytest.raises(InvbenchError) as caught:
        openclip.OpenCLIPJudge()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{link} is not a complete safetensors file")
    assert f"hf download {openclip.HUB_REPO} --force-download" in message


def test_the_openclip_judge_uses_the_activation_the_openai_weights_were_trained_with(
        planted_judges: JudgeWeights) -> None:
    import open_clip

    tag = open_clip.get_pretrained_cfg(openclip.ARCHITECTURE, openclip.PRETRAINED)
    assert tag["quick_gelu"] is True  # what open_clip records for OpenAI's released weights
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        judge = openclip.load_openclip_judge()
    # open_clip warns "QuickGELU mismatch" when a model is built with another activation
    assert not [w for w in caught if "QuickGELU" in str(w.message)]
    kinds = {type(m).__name__ for m in judge.model.modules()}
    assert "QuickGELU" in kinds and "GELU" not in kinds
    assert judge.describe()["activation"] == "quickgelu" and "+quickgelu+" in judge.signature_tag


# --- torch-fidelity Inception-v3 ---------------------------------------------------------------

# Same module class, same state, same uint8 batch, same CPU kernels: the outputs are expected to
# be bit-identical; 1e-6 absolute (features ~0.5) only allows for a different thread split.
# Measured: 0.
INCEPTION_ATOL = 1e-6


def test_inception_judge_equals_torch_fidelitys_extractor(planted_judges: JudgeWeights) -> None:
    import torch_fidelity.feature_extractor_inceptionv3 as fidelity

    path = planted_judges.checkpoints / INCEPTION_FILE
    assert inception.weights_path() == path  # where the adapter looks is where it was planted
    judge = inception.load_inception_judge()
    assert judge.weights_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    library = fidelity.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"],
                                                   feature_extractor_weights_path=str(path))
    generator = torch.Generator().manual_seed(1)
    for shape in ((2, 3, 64, 64), (1, 3, 96, 160)):
        pixels = torch.rand(shape, generator=generator)
        pixels[0, 0, 0, :3] = torch.tensor([0.0, 1.0, 0.5 / 255])  # the ends, a half-way tie
        quantised = torch.from_numpy(np.rint(pixels.numpy() * 255.0).astype(np.uint8))
        (expected,) = library(quantised)
        features = judge.image_features(pixels)
        assert features.shape == (shape[0], 2048) and features.dtype == torch.float32
        torch.testing.assert_close(features, expected, rtol=0, atol=INCEPTION_ATOL)
    assert float(features.abs().mean()) > 0.05  # not the ~1e-8 features of a default init
    with pytest.raises(InvbenchError, match="serves fid_kid only"):
        judge.embed_images(pixels)


# --- LPIPS(alex) -------------------------------------------------------------------------------

# Both are lpips' own LPIPS module with the same heads and backbone tensors on the same input;
# only the [0, 1] -> [-1, 1] scaling is computed by each side (2x - 1 in both). 1e-6 absolute on
# values ~0.1. Measured: 0.
LPIPS_ATOL = 1e-6


@pytest.fixture
def lpips_reference(planted_judges: JudgeWeights) -> torch.nn.Module:
    """``lpips.LPIPS(net="alex")`` built by lpips itself: torchvision's ``alexnet(pretrained=
    True)`` reads the planted file from torch hub's cache. No patch is needed: torchvision checks
    the file name's hash prefix only when it downloads, never for a cached file."""
    import lpips

    net = lpips.LPIPS(net="alex", verbose=False).eval()
    backbone = torch.load(planted_judges.checkpoints / ALEXNET_FILE, weights_only=True)
    assert torch.equal(net.net.slice1[0].weight, backbone["features.0.weight"])
    return net


@pytest.mark.parametrize("size", [(31, 31), (64, 64), (48, 80)])
def test_load_lpips_equals_lpips_own_network(planted_judges: JudgeWeights,
                                             lpips_reference: torch.nn.Module, size) -> None:
    assert lpips_distance.backbone_path() == planted_judges.checkpoints / ALEXNET_FILE
    net = lpips_distance.load_lpips()
    generator = torch.Generator().manual_seed(size[1])
    x, y = (torch.rand((1, 3, *size), generator=generator) for _ in range(2))
    with torch.no_grad():
        expected = lpips_reference(x, y, normalize=True)  # lpips scales [0, 1] itself
        value = net(2 * x - 1, 2 * y - 1)
        same = net(2 * x - 1, 2 * x - 1)
    torch.testing.assert_close(value, expected, rtol=0, atol=LPIPS_ATOL)
    assert float(value) > 1e-3 and float(same) == 0.0


def test_lpips_metric_scores_what_lpips_computes(lpips_reference: torch.nn.Module) -> None:
    metric = lpips_distance.LPIPS()
    generator = torch.Generator().manual_seed(7)
    a, b = (torch.rand((3, 64, 64), generator=generator) for _ in range(2))
    with torch.no_grad():
        expected = float(lpips_reference(a[None], b[None], normalize=True))
    scored = metric.score_item(image=Image(a), reference_image=Image(b))
    assert scored == {"lpips": pytest.approx(expected, abs=LPIPS_ATOL)}
    assert metric.score_item(image=Image(a), reference_image=Image(a.clone())) == {"lpips": 0.0}
    assert "|net:alex|" in metric.signature()
