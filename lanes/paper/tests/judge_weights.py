"""Random-weight stand-ins for the paper judges' released weight files, planted where the judges'
own loaders look, so the real adapters run end to end with no download.

What is planted (:func:`build_judge_weights`), under one folder:

- **open_clip ViT-L/14**: open_clip's own ``ViT-L-14`` model config with its structure kept
  (patch 14, image 224, context 77, the 49408-token vocabulary, and no ``quick_gelu`` key, as in
  the shipped config) and only widths, depths and heads shrunk (:data:`TINY_VIT_L_14`). While the
  tiny config is registered as ``"ViT-L-14"`` (:func:`register_tiny_vit_l_14`), open_clip builds
  that model with random weights (seed 0); its state dict is saved as
  ``open_clip_model.safetensors`` of ``timm/vit_large_patch14_clip_224.openai`` in a Hugging Face
  hub cache laid out as the hub lays it out (``blobs/<sha256>``, ``snapshots/<rev>/`` links,
  ``refs/main``), so ``hf_hub_download`` finds it offline.
- **torch-fidelity's FeatureExtractorInceptionV3**, full size (about 24M parameters), random:
  PyTorch's default init, then every BatchNorm's running statistics set from one batch of noise
  (train-mode forward with cumulative averaging). Without that the 2048-d features of a default
  init are about 1e-8 and an "equal to the library" check would compare zeros.
- **torchvision's AlexNet**, random (seed 0), at ``alexnet-owt-7be5be79.pth`` in torch hub's
  ``checkpoints/``, where both invbench's LPIPS loader and torchvision's read it.

A subprocess (``invbench evaluate``) cannot be monkeypatched: :func:`write_config_hook` writes a
``sitecustomize.py`` that registers the tiny config in the child before anything runs.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import torch

CLIP_REPO = "timm/vit_large_patch14_clip_224.openai"
CLIP_FILE = "open_clip_model.safetensors"
INCEPTION_FILE = "weights-inception-2015-12-05-6726825d.pth"
ALEXNET_FILE = "alexnet-owt-7be5be79.pth"
HUB_REVISION = hashlib.sha1(b"invbench paper lane").hexdigest()  # any 40-hex commit id works
# only sizes change; every other key of open_clip's ViT-L-14 config is kept as shipped
TINY_VIT_L_14 = {"embed_dim": 32, "vision_cfg": {"layers": 2, "width": 64, "head_width": 32},
                 "text_cfg": {"layers": 2, "width": 32, "heads": 2}}
SEED = 0
HERE = Path(__file__).resolve().parent


def tiny_vit_l_14_config() -> dict[str, Any]:
    """open_clip's shipped ViT-L-14 config (read from its JSON, not the registry, which may hold
    the tiny one already) with :data:`TINY_VIT_L_14`'s sizes."""
    import open_clip

    path = Path(open_clip.__file__).parent / "model_configs" / "ViT-L-14.json"
    config = _read_json(path)
    config["embed_dim"] = TINY_VIT_L_14["embed_dim"]
    config["vision_cfg"].update(TINY_VIT_L_14["vision_cfg"])
    config["text_cfg"].update(TINY_VIT_L_14["text_cfg"])
    return config


def _read_json(path: Path) -> dict[str, Any]:
    import json

    return json.loads(path.read_text(encoding="utf-8"))


def register_tiny_vit_l_14() -> dict[str, Any]:
    """Make ``"ViT-L-14"`` mean the tiny config in open_clip's registry (for good: callers in
    this process use ``mock.patch.dict`` / ``monkeypatch.setitem`` instead)."""
    from open_clip import factory

    config = tiny_vit_l_14_config()
    factory._MODEL_CONFIGS["ViT-L-14"] = config
    return config


def build_tiny_openclip() -> torch.nn.Module:
    """open_clip's ``ViT-L-14`` model at the tiny sizes, random weights (seed 0), eval mode."""
    import open_clip
    from open_clip import factory

    with mock.patch.dict(factory._MODEL_CONFIGS, {"ViT-L-14": tiny_vit_l_14_config()}):
        torch.manual_seed(SEED)
        # as the judge builds it: OpenAI's weights were trained with QuickGELU
        model = open_clip.create_model("ViT-L-14", force_quick_gelu=True)
    return model.eval().requires_grad_(False)


def plant_hub_file(cache: Path, repo_id: str, filename: str, data: bytes) -> Path:
    """Write ``data`` as ``filename`` of ``repo_id`` into a hub cache the way the hub does; the
    snapshot path (a relative link to ``blobs/<sha256>``)."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
    link = repo / "snapshots" / HUB_REVISION / filename
    blob.parent.mkdir(parents=True, exist_ok=True)
    link.parent.mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    blob.write_bytes(data)
    (repo / "refs" / "main").write_text(HUB_REVISION)
    link.symlink_to(os.path.relpath(blob, link.parent))
    return link


def random_inception_state() -> dict[str, torch.Tensor]:
    """A state dict of torch-fidelity's real ``FeatureExtractorInceptionV3``, random (seed 0)
    with data-dependent BatchNorm statistics (see the module doc)."""
    import torch_fidelity.feature_extractor_inceptionv3 as inception

    extractor = inception.FeatureExtractorInceptionV3
    torch.manual_seed(SEED)
    # the constructor always loads released weights: hand it nothing and keep PyTorch's init
    with mock.patch.object(inception, "load_state_dict_from_url", lambda *a, **k: {}), \
            mock.patch.object(extractor, "load_state_dict", lambda self, *a, **k: None):
        net = extractor("inception-v3-compat", ["2048"])
    norms = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None  # cumulative average: one batch sets the statistics
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.uniform_(-0.2, 0.2)
        net.train()
        net(torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8))
    return {k: v.clone() for k, v in net.state_dict().items()}


def random_alexnet() -> torch.nn.Module:
    """torchvision's AlexNet with random weights (seed 0)."""
    import torchvision

    torch.manual_seed(SEED)
    return torchvision.models.alexnet(weights=None).eval()


@dataclass(frozen=True)
class JudgeWeights:
    """Where the planted weights are, and the in-memory models they were saved from."""

    root: Path
    clip_model: torch.nn.Module
    clip_file: Path  # the hub snapshot path open_clip resolves

    @property
    def hf_cache(self) -> Path:
        return self.root / "hf"

    @property
    def torch_home(self) -> Path:
        return self.root / "torch"

    @property
    def checkpoints(self) -> Path:
        return self.torch_home / "hub" / "checkpoints"

    def env(self) -> dict[str, str]:
        """The variables that point every loader at the planted files, offline."""
        return {"HF_HUB_CACHE": str(self.hf_cache), "HF_HUB_OFFLINE": "1",
                "TORCH_HOME": str(self.torch_home)}


def build_judge_weights(root: Path) -> JudgeWeights:
    """Plant all three judges' weight files under ``root`` (about 100 MB, a few seconds)."""
    from safetensors.torch import save

    model = build_tiny_openclip()
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    clip_file = plant_hub_file(root / "hf", CLIP_REPO, CLIP_FILE, save(state))
    weights = JudgeWeights(root, model, clip_file)
    weights.checkpoints.mkdir(parents=True)
    torch.save(random_inception_state(), weights.checkpoints / INCEPTION_FILE)
    torch.save(random_alexnet().state_dict(), weights.checkpoints / ALEXNET_FILE)
    return weights


def write_config_hook(folder: Path) -> str:
    """A ``sitecustomize.py`` in ``folder`` that registers the tiny ViT-L-14 at interpreter
    start; the ``PYTHONPATH`` a subprocess needs to run it (this folder, then this module's)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        "# written by lanes/paper/tests/judge_weights.py: ViT-L-14 is the tiny test config\n"
        "import judge_weights\n\njudge_weights.register_tiny_vit_l_14()\n")
    return os.pathsep.join([str(folder), str(HERE), os.environ.get("PYTHONPATH", "")])
