"""BLIP, the paper's image captioner, as the forward model of the ``captioner`` family.

Loaded by transformers' own loaders (``BlipForConditionalGeneration`` and ``BlipProcessor``,
with the PIL image backend, so torchvision is never needed) from the Hugging Face cache, the hub
or a local folder written by ``save_pretrained``. Inverters work in [0, 1] pixels at the vision
tower's size (384×384 for the real checkpoint): the processor's normalisation (its 1/255 rescale
is what [0, 1] already is; then ``(x - image_mean) / image_std``) runs *inside* this class,
differentiably, so every captioner inverter optimises the same pixel space.

Scoring (``run``) is greedy ``generate`` one image at a time, so a caption never depends on its
batch-mates. The objective is the teacher-forced cross-entropy of the target caption built
exactly as ``generate`` builds its decoder input — ``[DEC]`` (the text config's bos token), the
caption's WordPiece tokens (the uncased tokenizer lowercases), then ``[SEP]``, the token that
stops generation — summed per item, with no label smoothing, so that ``success`` (teacher-forced
argmax equals every label) means greedy decoding would emit exactly the target.

Example (needs the checkpoint: ``invbench prefetch --suite paper``)::

    from invbench.contracts.media import Image
    blip = BlipCaptioner(device="cuda")
    x = torch.rand(1, 3, 384, 384, requires_grad=True)
    result = blip.objective(x, ["a cat sitting on a couch"])
    result.loss.sum().backward()  # x.grad: how to change the pixels toward the caption
    blip.run([Image(x[0].detach())])  # e.g. ['arafed image of a ...']
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
import transformers
from packaging.version import Version
from torch import Tensor

from invbench.assets.kinds import Asset, HubRepo
from invbench.contracts.errors import InvalidInversion, InvbenchError
from invbench.contracts.forward_model import ForwardModel, ObjectiveResult
from invbench.contracts.media import Image, ImageSpec
from invbench.models.checkpoint_files import (
    check_checkpoint_folder,
    redownload_remedy,
    refused_pickle,
    unreadable_safetensors,
)
from invbench.models.placement import hub_offline, resolve_placement
from invbench.models.target_payload import caption_text
from invbench.models.weights_identity import folder_weights_sha256, modules_sha256

DEFAULT_MODEL = "Salesforce/blip-image-captioning-large"
# Pure greedy decoding, with the logits processors that could make it differ from the argmax
# (and so from the objective's ``success``) pinned to their neutral values.
GREEDY: dict[str, Any] = {
    "num_beams": 1, "do_sample": False, "repetition_penalty": 1.0, "no_repeat_ngram_size": 0,
    "min_length": 0,
}
_TRANSFORMERS = Version(transformers.__version__)
# transformers renamed torch_dtype to dtype in 4.56; 5.x picks image processors by backend.
_DTYPE_KEY = "dtype" if _TRANSFORMERS.release >= (4, 56) else "torch_dtype"
_PIL_PROCESSOR = {"backend": "pil"} if _TRANSFORMERS.major >= 5 else {"use_fast": False}


class BlipCaptioner(ForwardModel):
    """A BLIP captioning checkpoint (hub id or local folder) wrapped for inversion."""

    input_modality = "image"
    output_modality = "text"

    def __init__(self, model: str = DEFAULT_MODEL, revision: str | None = None,
                 max_new_tokens: int = 30, device: str = "cpu", dtype: str = "auto",
                 offload: bool = False) -> None:
        super().__init__()
        if max_new_tokens < 1:
            raise InvbenchError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
        self.model_name, self.revision, self.max_new_tokens = model, revision, max_new_tokens
        self.model_id = f"blip:{model}"
        self.placement = resolve_placement(device, dtype, offload)
        self.model, self.processor = _load(model, revision, self.placement.dtype)
        self.model.eval().requires_grad_(False)  # gradients go to the pixels only
        if self.placement.offload:
            from accelerate import cpu_offload

            _ = self.weights_sha256  # before the weights leave the module for the hooks
            # Sequential offload: each submodule's weights visit the GPU only while it runs.
            cpu_offload(self.model, execution_device=self.placement.device)
        else:
            self.model.to(self.placement.device)
        self.tokenizer = self.processor.tokenizer
        text = self.model.config.text_config
        self.bos_id, self.sep_id, self.pad_id = text.bos_token_id, text.sep_token_id, \
            text.pad_token_id
        self.max_positions = text.max_position_embeddings
        size = self.model.config.vision_config.image_size
        self.input_spec = ImageSpec(size, size, 3, (0.0, 1.0))
        images = self.processor.image_processor
        self.image_mean = tuple(float(v) for v in images.image_mean)
        self.image_std = tuple(float(v) for v in images.image_std)
        self.processor_size = {k: v for k, v in dict(images.size).items() if v is not None}
        shape = (1, 3, 1, 1)
        self._mean = torch.tensor(self.image_mean).view(shape).to(self.placement.device)
        self._std = torch.tensor(self.image_std).view(shape).to(self.placement.device)

    @property
    def device(self) -> torch.device:
        return self.placement.device

    @cached_property
    def weights_sha256(self) -> str:
        """The weight files' hash for a folder or cached snapshot; the state dict otherwise."""
        folder = _snapshot_folder(self.model_name, self.revision)
        if folder is not None:
            return folder_weights_sha256(folder)
        return modules_sha256([("blip", self.model)])

    @staticmethod
    def assets(model: str = DEFAULT_MODEL, revision: str | None = None, **_: Any) -> list[Asset]:
        return [HubRepo(repo_id=model, revision=revision,
                        purpose="BLIP captioner weights and processor")]

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        sep = self.tokenizer.convert_ids_to_tokens(self.sep_id)
        bos = self.tokenizer.convert_ids_to_tokens(self.bos_id)
        info.update(
            model=self.model_name,
            revision=self.revision,
            library=f"transformers {transformers.__version__}",
            placement=self.placement.describe(),
            max_new_tokens=self.max_new_tokens,
            decoding={**GREEDY, "max_new_tokens": self.max_new_tokens,
                      "prefix": f"{bos} (id {self.bos_id})", "stop": f"{sep} (id {self.sep_id})",
                      "batching": "one image per generate call (batch-independent)",
                      "text": "tokenizer.decode(skip_special_tokens=True).strip()"},
            processor={"image_mean": list(self.image_mean), "image_std": list(self.image_std),
                       "size": self.processor_size,
                       "input_size": [self.input_spec.height, self.input_spec.width],
                       "rescale": "inputs are already [0, 1] (the processor's 1/255)",
                       "resize": "none: inputs must arrive at the input size"},
            objective={
                "loss": "teacher-forced cross-entropy summed over the caption's tokens and "
                        f"{sep}, per item, no label smoothing, computed in float32",
                "decoder_input": f"{bos} + tokenizer(caption, add_special_tokens=False)",
                "labels": f"caption tokens + {sep}",
                "success": "teacher-forced argmax equals every label and the caption fits in "
                           "max_new_tokens",
            },
        )
        return info

    def _normalise(self, pixels: Tensor) -> Tensor:
        """[0, 1] pixels -> the processor's normalised ``pixel_values`` in the compute dtype."""
        x = pixels.to(self.placement.device, torch.float32)
        return ((x - self._mean) / self._std).to(self.placement.dtype)

    def _run(self, inputs: Sequence[Image]) -> list[str]:
        for item in inputs:
            if not isinstance(item, Image):
                raise InvalidInversion(f"BLIP needs an Image, got {type(item).__name__}")
            item.validate(self.input_spec)
        captions = []
        for item in inputs:
            with warnings.catch_warnings():  # offloaded weights sit on "meta" between calls
                warnings.filterwarnings("ignore", message=".*different than your model's device")
                ids = self.model.generate(pixel_values=self._normalise(item.pixels[None]),
                                          max_new_tokens=self.max_new_tokens, **GREEDY)
            # position 0 is the [DEC] prompt generate starts from; drop it explicitly
            text = self.tokenizer.decode(ids[0, 1:], skip_special_tokens=True)
            captions.append(text.strip())
        return captions

    def _objective(self, x: Tensor, targets: Sequence[Any], **options: Any) -> ObjectiveResult:
        """Per-item -log p(caption | x) for ``x`` of shape ``(B, 3, H, W)`` in [0, 1].

        ``success[i]``: the teacher-forced argmax equals every label (the caption's tokens and
        ``[SEP]``) and the caption fits in ``max_new_tokens``, so greedy ``run`` would emit it.
        """
        if options:
            raise InvbenchError(f"BLIP's objective has no options, got {sorted(options)}")
        spec = self.input_spec
        expected = (3, spec.height, spec.width)
        if not isinstance(x, Tensor) or x.ndim != 4 or tuple(x.shape[1:]) != expected:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise InvbenchError(f"BLIP's objective expects (B, {', '.join(map(str, expected))}) "
                                f"pixels, got {shape}")
        if x.shape[0] != len(targets):
            raise InvbenchError(f"objective got {x.shape[0]} images for {len(targets)} targets")
        tokens = [self.tokenizer(caption_text(t), add_special_tokens=False)["input_ids"]
                  for t in targets]
        inputs, labels = self._teacher_forcing(tokens)
        mask = (labels != -100).long()
        logits = self.model(pixel_values=self._normalise(x), input_ids=inputs,
                            attention_mask=mask).logits.float()
        ce = F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=-100, reduction="none")
        scored = labels != -100
        exact = ((logits.detach().argmax(-1) == labels) | ~scored).all(dim=1)
        fits = torch.tensor([len(t) <= self.max_new_tokens for t in tokens], device=exact.device)
        return ObjectiveResult(loss=(ce * scored).sum(dim=1), success=exact & fits)

    def _teacher_forcing(self, tokens: list[list[int]]) -> tuple[Tensor, Tensor]:
        """Decoder inputs (``[DEC]`` + tokens, right-padded) and labels (tokens + ``[SEP]``,
        padded with -100); the causal decoder never lets padding reach a scored position."""
        width = max(len(t) for t in tokens) + 1
        if width > self.max_positions:
            raise InvbenchError(f"a target caption of {width - 1} tokens is longer than BLIP's "
                                f"{self.max_positions - 1}-token text window")
        inputs = torch.full((len(tokens), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(tokens), width), -100, dtype=torch.long)
        for i, ids in enumerate(tokens):
            inputs[i, : len(ids) + 1] = torch.tensor([self.bos_id, *ids], dtype=torch.long)
            labels[i, : len(ids) + 1] = torch.tensor([*ids, self.sep_id], dtype=torch.long)
        return inputs.to(self.placement.device), labels.to(self.placement.device)


def _load(model: str, revision: str | None, dtype: torch.dtype) -> tuple[Any, Any]:
    """Model and processor by transformers' loaders; a missing checkpoint is one clear line."""
    from safetensors import SafetensorError
    from transformers import BlipForConditionalGeneration, BlipProcessor

    # HF_HUB_OFFLINE is read again here, not only when huggingface_hub was imported
    where = {"revision": revision, "local_files_only": hub_offline()}
    local = Path(model).expanduser()
    if local.is_dir():  # a user's own folder: name the bad file, never advise deleting it
        check_checkpoint_folder(local)
    try:
        net = BlipForConditionalGeneration.from_pretrained(model, **{_DTYPE_KEY: dtype}, **where)
        processor = BlipProcessor.from_pretrained(model, **_PIL_PROCESSOR, **where)
    except pickle.UnpicklingError as exc:
        raise refused_pickle(local if local.is_dir() else model, exc) from None
    except SafetensorError as exc:  # a damaged file in the hub cache (a download, not the user's)
        raise unreadable_safetensors(Path(model), exc, redownload_remedy(model)) from None
    except (OSError, ValueError) as exc:
        offline = " (HF_HUB_OFFLINE is set)" if hub_offline() else ""
        name = f"{model}@{revision}" if revision else model
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise InvbenchError(
            f"cannot load the BLIP captioner {name!r}{offline}: {reason} — run `invbench prefetch "
            "--suite paper` online, or pass a local folder written by save_pretrained"
        ) from None
    return net, processor


def _snapshot_folder(model: str, revision: str | None) -> Path | None:
    """The folder the weights came from: ``model`` itself, or its cached hub snapshot."""
    if Path(model).expanduser().is_dir():
        return Path(model).expanduser()
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(model, revision=revision, local_files_only=True))
    except Exception:  # not cached as a snapshot (e.g. loaded some other way): hash the modules
        return None
