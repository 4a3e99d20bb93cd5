"""FLUX.1-dev (the paper's text-to-image model) wrapped for inversion: prompt → image.

**One prompt, both of Flux's embedding tables.** FLUX.1 reads a prompt with T5-XXL and CLIP-L; a
soft prompt drives both through one joint table whose vocabulary is T5's
(:mod:`invbench.models.paper.flux_prompt_table` says how it is built, scaled and split, and
where the soft path equals the hard one).

**What is optimised is what is scored.** ``objective`` and ``run`` share one differentiable sampler
(:func:`invbench.models.paper.flux_sampling.sample_images`): noise fixed by ``seed`` (drawn on the
CPU as the pipeline draws it), ``steps`` Euler steps on the pipeline's sigma schedule for this size,
embedded guidance, VAE decode. The loss is the per-item mean squared pixel error to the target
image. Weights are frozen; gradient checkpointing on the transformer and the VAE keeps
back-propagation through the sampler in memory; attention runs on the flash, memory-efficient or
math kernels, never cuDNN's, whose backward broke in bfloat16 on an H100. With ``offload=True``
scoring moves each module to the GPU only while it runs; gradients need every module resident
through the backward pass, so the first ``objective`` call moves the whole pipeline to the GPU,
where it stays.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from invbench.assets.kinds import Asset, HubRepo
from invbench.contracts.errors import InvalidInversion, InvbenchError
from invbench.contracts.forward_model import ObjectiveResult
from invbench.contracts.media import Image
from invbench.contracts.text_input import Text, TextInputModel, TextSpec, check_soft_embeddings
from invbench.models.checkpoint_files import damaged_checkpoint, hub_snapshot, redownload_remedy
from invbench.models.paper import flux_sampling as fs
from invbench.models.paper.flux_prompt_table import JointPromptTable
from invbench.models.placement import Placement, resolve_placement
from invbench.models.target_payload import target_field
from invbench.models.weights_identity import folder_weights_sha256, modules_sha256

DEFAULT_MODEL = "black-forest-labs/FLUX.1-dev"
MODULES = ("text_encoder", "text_encoder_2", "transformer", "vae")
SUCCESS_MSE = 1e-4  # mean squared pixel error (PSNR 40 dB): the target image, up to rounding
log = logging.getLogger(__name__)


def _raise_if_damaged(model: str, revision: str | None, exc: BaseException) -> None:
    """A load failure that a damaged or refused weights file explains, as one line naming it;
    a hub download gets a remedy, a user's own ``save_pretrained`` folder none."""
    local = Path(model).expanduser()
    where = local if local.is_dir() else hub_snapshot(model, "model_index.json", revision)
    damaged = damaged_checkpoint(where, exc, "" if local.is_dir() else redownload_remedy(model))
    if damaged is not None:
        raise damaged from None


class FluxGenerator(TextInputModel):
    """A FLUX.1 pipeline (hub id or ``save_pretrained`` folder), sampled from ``seed``'s noise."""

    output_modality = "image"

    def __init__(self, model: str = DEFAULT_MODEL, revision: str | None = None, steps: int = 4,
                 height: int = 512, width: int = 512, guidance: float = 3.5,
                 max_sequence_length: int = 512, seed: int = 0, device: str = "cpu",
                 dtype: str = "auto", offload: bool = False) -> None:
        super().__init__()
        placement = resolve_placement(device, dtype, offload)
        from diffusers import FluxPipeline

        try:
            with warnings.catch_warnings():  # newer diffusers prefer `dtype`; 0.32 needs this
                warnings.filterwarnings("ignore", ".*torch_dtype.*", FutureWarning)
                pipe = FluxPipeline.from_pretrained(model, revision=revision,
                                                    torch_dtype=placement.dtype)
        except Exception as exc:  # OSError, LocalEntryNotFoundError, ValueError, ...
            _raise_if_damaged(model, revision, exc)
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            at = f"@{revision}" if revision else ""
            raise InvbenchError(
                f"cannot load the FLUX pipeline {model!r}{at} ({reason}); run `invbench prefetch "
                "--suite paper` online (FLUX.1-dev is gated: accept its licence on the hub and log"
                " in), or pass a local folder written by FluxPipeline.save_pretrained") from None
        self._setup(pipe, placement, model, revision, steps, height, width, guidance,
                    max_sequence_length, seed)

    @classmethod
    def from_pipeline(cls, pipe: Any, name: str = "in-memory", steps: int = 4, height: int = 512,
                      width: int = 512, guidance: float = 3.5, max_sequence_length: int = 512,
                      seed: int = 0, device: str = "cpu", dtype: str = "auto",
                      offload: bool = False) -> FluxGenerator:
        """Wrap an in-memory ``FluxPipeline`` (e.g. random full-size components on a GPU);
        ``name`` stands in for the hub id in ``model_id``."""
        self = cls.__new__(cls)
        TextInputModel.__init__(self)
        self._setup(pipe, resolve_placement(device, dtype, offload), name, None, steps, height,
                    width, guidance, max_sequence_length, seed)
        self._in_memory = True  # weights_sha256 hashes the modules, not a folder
        return self

    def _setup(self, pipe: Any, placement: Placement, model: str, revision: str | None,
               steps: int, height: int, width: int, guidance: float, max_sequence_length: int,
               seed: int) -> None:
        """Validate the options, place and freeze the pipeline, build the joint table."""
        scale = pipe.vae_scale_factor * 2
        if height <= 0 or width <= 0 or height % scale or width % scale:
            raise InvbenchError(f"height and width must be positive multiples of {scale} for "
                                f"this pipeline, got {height}x{width}")
        if not 2 <= max_sequence_length <= 512:
            raise InvbenchError(f"max_sequence_length must be 2 to 512, got {max_sequence_length}")
        if steps < 1:
            raise InvbenchError(f"steps must be at least 1, got {steps}")
        self.pipe, self.placement, self.model, self.revision = pipe, placement, model, revision
        self.steps, self.height, self.width = int(steps), int(height), int(width)
        self.guidance, self.max_sequence_length, self.seed = float(guidance), \
            int(max_sequence_length), int(seed)
        self.model_id = f"flux:{model}"
        for name in MODULES:
            getattr(pipe, name).requires_grad_(False).eval()
        pipe.transformer.enable_gradient_checkpointing(fs.checkpointed)
        pipe.vae.enable_gradient_checkpointing(fs.checkpointed)
        pipe.set_progress_bar_config(disable=True)
        if any(getattr(pipe, name).dtype != placement.dtype for name in MODULES):
            pipe.to(dtype=placement.dtype)  # only for from_pipeline: the loader casts already
        if placement.offload:
            pipe.enable_model_cpu_offload(device=placement.device)
        else:
            pipe.to(placement.device)
        self._offloading = placement.offload
        self._prompt = table = JointPromptTable.of(pipe, placement.device)
        self.schedule = fs.flux_schedule(pipe, self.steps, self.height, self.width,
                                         placement.device)
        self.latents = fs.initial_latents(pipe, self.seed, self.height, self.width,
                                          placement.dtype)
        limit = min(self.max_sequence_length - 1, pipe.tokenizer_max_length - 2)
        self.input_spec = TextSpec(int(table.table.shape[0]), int(table.table.shape[1]),
                                   int(limit))
        self._weights_sha256: str | None = None
        self._in_memory = False

    # ------------------------------------------------------------------ vocabulary

    @property
    def device(self) -> torch.device:
        return self.placement.device

    @property
    def token_embeddings(self) -> Tensor:
        return self._prompt.table

    @property
    def prompt_token_mask(self) -> Tensor:
        return self._prompt.mask

    @property
    def token_strings(self) -> list[str]:
        return self._prompt.strings

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        encoded = self.pipe.tokenizer_2(list(texts), add_special_tokens=False)
        return [list(ids) for ids in encoded["input_ids"]]

    def detokenize(self, ids: Sequence[int]) -> str:
        return self.pipe.tokenizer_2.decode([int(i) for i in ids])

    # ------------------------------------------------------------------ generation

    def _resident(self) -> None:
        """Gradients need every module on the GPU through backward: end CPU offload."""
        if self._offloading:
            log.warning("flux: the objective needs every module resident for backward; "
                        "moving the whole pipeline to %s (CPU offload ends)", self.device)
            self.pipe.remove_all_hooks()
            self.pipe.to(self.device)
            self._offloading = False

    def encoder_rows(self, rows: Tensor) -> tuple[Tensor, Tensor]:
        """Joint-table rows ``(..., D)`` as the encoders' own input rows: (T5, CLIP)."""
        return self._prompt.encoder_rows(rows)

    def generate(self, soft: Tensor) -> Tensor:
        """``(1, 3, height, width)`` image in [0, 1] from one soft prompt ``(L, D)``
        (differentiable with respect to ``soft``)."""
        rows = soft[None].to(self.device, self.placement.dtype)
        with fs.attention_kernels():
            states, pooled = fs.encode_soft(self.pipe, *self.encoder_rows(rows),
                                            self.max_sequence_length)
        return self._sample(states, pooled)

    def _sample(self, states: Tensor, pooled: Tensor) -> Tensor:
        with fs.attention_kernels():
            return fs.sample_images(self.pipe, states, pooled, self.latents.to(self.device),
                                    self.schedule, self.guidance, self.height, self.width)

    def _run(self, inputs: Sequence[Text]) -> list[Image]:
        out = []
        for item in inputs:  # one at a time: an image never depends on its batch-mates
            if not isinstance(item, Text):
                raise InvalidInversion(f"FLUX needs a Text prompt, got {type(item).__name__}")
            item.validate(self.input_spec)
            [ids] = self.tokenize([item.text])
            if len(ids) > self.max_sequence_length - 1:
                raise InvalidInversion(f"the prompt has {len(ids)} T5 tokens; T5 reads at most "
                                       f"{self.max_sequence_length - 1} before </s>")
            with fs.attention_kernels():
                states, pooled, _ = self.pipe.encode_prompt(
                    prompt=item.text, prompt_2=None, device=self.pipe._execution_device,
                    max_sequence_length=self.max_sequence_length)
            out.append(Image(self._sample(states, pooled)[0].float().cpu()))
        return out

    def _run_from_embeddings(self, prompts: Sequence[Tensor]) -> list[Image]:
        out = []
        for soft in prompts:
            soft = check_soft_embeddings(soft, self.input_spec)
            out.append(Image(self.generate(soft)[0].float().cpu()))
        return out

    def _objective(self, x: Tensor, targets: Sequence[Any], **options: Any) -> ObjectiveResult:
        """Per-item mean squared pixel error (float32) between the image of each soft prompt of
        ``x`` ``(B, L, D)`` and its target image; ``success`` once it is at most
        ``SUCCESS_MSE``. Targets are :class:`Image` or objects whose payload has ``"image"``."""
        self.check_objective_input(x, targets, options, "FLUX", finite=True)
        wanted = [self._target(t) for t in targets]
        self._resident()
        losses = [(self.generate(x[i])[0].float() - wanted[i]).pow(2).mean()
                  for i in range(x.shape[0])]
        loss = torch.stack(losses)
        return ObjectiveResult(loss=loss, success=loss.detach() <= SUCCESS_MSE)

    def _target(self, target: Any) -> Tensor:
        image = target_field(target, "image")
        if not isinstance(image, Image) or not isinstance(image.pixels, Tensor):
            raise InvbenchError(f"a FLUX target must be an Image, got {type(image).__name__}")
        pixels = image.pixels.float()
        expected = (3, self.height, self.width)
        if tuple(pixels.shape) != expected:
            raise InvbenchError(f"a FLUX target image must have shape {expected}, got "
                                f"{tuple(pixels.shape)}")
        return pixels.to(self.device)

    # ------------------------------------------------------------------ identity

    @property
    def weights_sha256(self) -> str:
        if self._weights_sha256 is None:
            self._weights_sha256 = self._hash_weights()
        return self._weights_sha256

    def _hash_weights(self) -> str:
        if self._in_memory:
            return modules_sha256((name, getattr(self.pipe, name)) for name in MODULES)
        folder = Path(self.model).expanduser()
        if not folder.is_dir():
            from huggingface_hub import snapshot_download

            try:
                folder = Path(snapshot_download(self.model, revision=self.revision,
                                                local_files_only=True))
            except Exception:  # loaded, yet not a cached snapshot: name the weights by value
                return modules_sha256((name, getattr(self.pipe, name)) for name in MODULES)
        return folder_weights_sha256(folder)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info.update(
            model=self.model, revision=self.revision, placement=self.placement.describe(),
            steps=self.steps, height=self.height, width=self.width, guidance=self.guidance,
            noise_seed=self.seed, max_sequence_length=self.max_sequence_length,
            prompt_table=self._prompt.describe(self.input_spec.max_tokens),
            schedule=self.schedule.describe(),
            gradient_checkpointing="transformer blocks and VAE (diffusers), under gradients",
            attention_kernels="flash, memory-efficient, math (cuDNN SDPA excluded)",
            objective={"loss": "mean squared pixel error to the target image, per item",
                       "success": f"mean squared error <= {SUCCESS_MSE}"},
        )
        return info

    @staticmethod
    def assets(model: str = DEFAULT_MODEL, revision: str | None = None, **_: Any) -> list[Asset]:
        return [HubRepo(repo_id=model, revision=revision, purpose=(
            "FLUX.1-dev pipeline (transformer, VAE, CLIP and T5 encoders, tokenizers); gated on "
            "the hub: needs a token whose account accepted the FLUX.1-dev licence"))]
