"""The FLUX.1 pipeline's own computations, made differentiable for prompt inversion.

``FluxPipeline.__call__`` runs under ``torch.no_grad`` and draws its own noise, so it cannot be
optimised through. This module re-states its steps with the pipeline's own pieces (its
``prepare_latents`` packing, ``calculate_shift`` and ``retrieve_timesteps`` on a copy of its
scheduler, its transformer call, the Euler update of ``FlowMatchEulerDiscreteScheduler.step``
written out with the same dtypes, ``_unpack_latents``, the VAE's scaling and shift, and its image
processor), so that one function, :func:`sample_images`, is both what an inverter optimises and
what scoring regenerates; ``tests/paper/test_flux_generator.py`` checks it against
``FluxPipeline.__call__`` given the same embeddings and latents.

Soft prompts enter both text encoders through their own ``forward`` (so their attention masks,
position ids, pooling rule and any CPU-offload hooks stay theirs): the encoders are fed framing
ids exactly as the pipeline's tokenizers would produce them, and a forward hook on each encoder's
token-embedding module replaces the content positions' rows with the soft rows
(:func:`content_rows`). A soft row equal to a token's table row is therefore bit-identical to
feeding that token's id.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from invbench.contracts.errors import InvbenchError


@dataclass(frozen=True)
class FluxSchedule:
    """The sampling schedule ``FluxPipeline.__call__`` uses for a size and step count."""

    timesteps: Tensor  # (steps,) float32, sigma * num_train_timesteps
    sigmas: Tensor  # (steps + 1,) float32, ending at 0
    mu: float  # the resolution-dependent shift (``calculate_shift`` of the packed length)
    image_seq_len: int

    def describe(self) -> dict[str, Any]:
        return {"sigmas": [round(float(s), 6) for s in self.sigmas], "mu": round(self.mu, 6),
                "image_seq_len": self.image_seq_len,
                "rule": "linspace(1, 1/steps, steps), exponential time shift by mu (dynamic "
                        "shifting), Euler steps; FluxPipeline.__call__'s schedule"}


def latent_size(pipe: Any, height: int, width: int) -> tuple[int, int]:
    """The unpacked latent height and width ``prepare_latents`` uses (a multiple of 2)."""
    scale = pipe.vae_scale_factor
    return 2 * (int(height) // (scale * 2)), 2 * (int(width) // (scale * 2))


def flux_schedule(pipe: Any, steps: int, height: int, width: int,
                  device: torch.device) -> FluxSchedule:
    """Sigmas and timesteps exactly as ``FluxPipeline.__call__`` sets them (on a copy of the
    pipeline's scheduler, whose state ``__call__`` would otherwise change under us)."""
    from diffusers import FlowMatchEulerDiscreteScheduler
    from diffusers.pipelines.flux.pipeline_flux import calculate_shift, retrieve_timesteps

    scheduler = copy.deepcopy(pipe.scheduler)
    if not isinstance(scheduler, FlowMatchEulerDiscreteScheduler) or \
            scheduler.config.get("stochastic_sampling", False):
        raise InvbenchError(f"the flux adapter differentiates the deterministic flow-matching "
                            f"Euler sampler; this pipeline has {type(scheduler).__name__}")
    sigmas = np.linspace(1.0, 1 / steps, steps)
    if scheduler.config.get("use_flow_sigmas", False):
        sigmas = None
    lh, lw = latent_size(pipe, height, width)
    seq_len = (lh // 2) * (lw // 2)
    cfg = scheduler.config
    mu = calculate_shift(seq_len, cfg.get("base_image_seq_len", 256),
                         cfg.get("max_image_seq_len", 4096), cfg.get("base_shift", 0.5),
                         cfg.get("max_shift", 1.15))
    timesteps, _ = retrieve_timesteps(scheduler, steps, device, sigmas=sigmas, mu=mu)
    return FluxSchedule(timesteps, scheduler.sigmas.to(device), float(mu), seq_len)


def initial_latents(pipe: Any, seed: int, height: int, width: int,
                    dtype: torch.dtype) -> Tensor:
    """Packed ``(1, seq, 4C)`` noise of ``seed``, drawn on the CPU as the pipeline draws it for
    ``generator=torch.Generator("cpu").manual_seed(seed)`` (so it is the same on every device)."""
    generator = torch.Generator("cpu").manual_seed(int(seed))
    channels = pipe.transformer.config.in_channels // 4
    latents, _ = pipe.prepare_latents(1, channels, height, width, dtype, torch.device("cpu"),
                                      generator)
    return latents


def attention_kernels() -> contextlib.AbstractContextManager:
    """The scaled-dot-product attention kernels the adapter allows: flash, memory-efficient and
    math, not cuDNN. On an H100 (torch 2.11, CUDA 13, bfloat16) cuDNN attention's backward through
    Flux's transformer returned NaN and 1e36 gradients at the tests' tiny sizes and hit an illegal
    memory access at FLUX.1-dev's sizes, where the other three kernels agreed."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION,
                        SDPBackend.MATH])


def checkpointed(module: torch.nn.Module, *args: Any) -> Any:
    """Gradient checkpointing (non-reentrant) whose forward and backward-time recomputation
    both run under :func:`attention_kernels` (recomputation happens outside any ``with``)."""
    from torch.utils.checkpoint import checkpoint

    return checkpoint(module.__call__, *args, use_reentrant=False,
                      context_fn=lambda: (attention_kernels(), attention_kernels()))


def execution_device(module: torch.nn.Module) -> torch.device:
    """Where ``module`` runs (its offload hook's device when CPU offload is on)."""
    from diffusers.utils.torch_utils import get_module_execution_device

    return get_module_execution_device(module)


@contextlib.contextmanager
def content_rows(embedding: torch.nn.Module, rows: Tensor, start: int) -> Iterator[None]:
    """While active, ``embedding``'s output has ``rows`` ``(B, L, D)`` at positions
    ``start .. start + L - 1`` (gradients flow to ``rows``; the other positions keep the rows
    of their ids)."""

    def hook(module: torch.nn.Module, args: Any, out: Tensor) -> Tensor:
        soft = rows.to(out.device, out.dtype)
        return torch.cat([out[:, :start], soft, out[:, start + soft.shape[1]:]], dim=1)

    handle = embedding.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def t5_embedding(t5: torch.nn.Module) -> torch.nn.Module:
    """The embedding module T5's encoder stack actually calls (in transformers 5 it is not the
    same module object as ``get_input_embeddings()``, only the same weights)."""
    stack = getattr(t5, "encoder", None)
    return getattr(stack, "embed_tokens", None) or t5.get_input_embeddings()


def encode_soft(pipe: Any, t5_rows: Tensor, clip_rows: Tensor,
                max_sequence_length: int) -> tuple[Tensor, Tensor]:
    """T5 token states ``(B, max_sequence_length, D)`` and CLIP's pooled output ``(B, D')`` of
    soft content rows, framed as the pipeline frames a prompt: T5 reads ``content + </s>``
    padded with ``<pad>`` to ``max_sequence_length`` (no attention mask, as ``encode_prompt``),
    CLIP reads ``<|startoftext|> content <|endoftext|>`` padded to its tokenizer's length and
    pools where its own rule says (the first ``<|endoftext|>``)."""
    b, n = t5_rows.shape[:2]
    tok5, tok_clip = pipe.tokenizer_2, pipe.tokenizer
    t5, clip = pipe.text_encoder_2, pipe.text_encoder
    ids5 = torch.full((b, max_sequence_length), tok5.pad_token_id, dtype=torch.long)
    ids5[:, n] = tok5.eos_token_id
    with content_rows(t5_embedding(t5), t5_rows, 0):
        states = t5(ids5.to(execution_device(t5)), output_hidden_states=False)[0]
    states = states.to(dtype=t5.dtype, device=pipe._execution_device)
    eos = tok_clip.eos_token_id
    ids = torch.full((b, pipe.tokenizer_max_length), tok_clip.pad_token_id, dtype=torch.long)
    # content positions hold placeholder id 0 (1 if 0 were the end token): never the end token,
    # and below it, so both CLIP pooling rules (first end token / highest id) find position n + 1
    ids[:, 0], ids[:, 1:n + 1], ids[:, n + 1] = tok_clip.bos_token_id, int(eos == 0), eos
    with content_rows(clip.get_input_embeddings(), clip_rows, 1):
        pooled = clip(ids.to(execution_device(clip)), output_hidden_states=False).pooler_output
    return states, pooled.to(dtype=clip.dtype, device=pipe._execution_device)


def sample_images(pipe: Any, prompt_embeds: Tensor, pooled: Tensor, latents: Tensor,
                  schedule: FluxSchedule, guidance: float, height: int, width: int) -> Tensor:
    """Images ``(B, 3, height, width)`` in [0, 1] from T5 states and pooled CLIP embeddings,
    sampled from packed ``latents`` by Euler steps on ``schedule``: the body of
    ``FluxPipeline.__call__`` (without true CFG or IP-adapters), differentiable."""
    device = pipe._execution_device
    transformer, vae = pipe.transformer, pipe.vae
    text_dtype = pipe.text_encoder.dtype if pipe.text_encoder is not None else transformer.dtype
    text_ids = torch.zeros(prompt_embeds.shape[1], 3).to(device=device, dtype=text_dtype)
    channels = transformer.config.in_channels // 4
    latents, image_ids = pipe.prepare_latents(latents.shape[0], channels, height, width,
                                              prompt_embeds.dtype, device, None, latents)
    guide = None
    if transformer.config.guidance_embeds:
        guide = torch.full([1], guidance, device=device, dtype=torch.float32)
        guide = guide.expand(latents.shape[0])
    for i, t in enumerate(schedule.timesteps):
        timestep = t.expand(latents.shape[0]).to(latents.dtype)
        with transformer.cache_context("cond"):
            velocity = transformer(hidden_states=latents, timestep=timestep / 1000,
                                   guidance=guide, pooled_projections=pooled,
                                   encoder_hidden_states=prompt_embeds, txt_ids=text_ids,
                                   img_ids=image_ids, joint_attention_kwargs={},
                                   return_dict=False)[0]
        # FlowMatchEulerDiscreteScheduler.step: float32 sample, dt * output, back to its dtype
        dt = schedule.sigmas[i + 1] - schedule.sigmas[i]
        latents = (latents.to(torch.float32) + dt * velocity).to(velocity.dtype)
    latents = pipe._unpack_latents(latents, height, width, pipe.vae_scale_factor)
    latents = (latents / vae.config.scaling_factor) + vae.config.shift_factor
    image = vae.decode(latents.to(execution_device(vae)), return_dict=False)[0]
    return pipe.image_processor.postprocess(image, output_type="pt")
