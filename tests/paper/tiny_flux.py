"""A complete, randomly initialised ``FluxPipeline`` built offline, for the ``flux`` model's tests.

``build_tiny_flux(folder)`` writes a tiny pipeline with ``save_pretrained`` so the tests go
through the real loader (``FluxPipeline.from_pretrained``), with the same component classes and
the same structural settings as FLUX.1-dev: a guidance-distilled ``FluxTransformer2DModel``, a
16-channel ``AutoencoderKL`` with Flux's scaling and shift factors and no quant convs, the
dev scheduler's resolution-dependent shift, a CLIP text model with CLIP's legacy pooling config
(``eos_token_id=2``: pool at the highest id, which is ``<|endoftext|>``) and a gated-GELU T5
encoder. The tokenizers are built here with the ``tokenizers`` library (no sentencepiece):

- T5: a Unigram model in T5's layout (``<pad>`` 0, ``</s>`` 1, ``<unk>`` 2, ``▁`` 3, word-start
  pieces, continuation pieces, sentinel ``<extra_id_N>`` tokens) and, as in T5 v1.1 (32128 rows
  for 32100 tokens), a few embedding rows no token uses;
- CLIP: byte-level BPE (``vocab.json`` / ``merges.txt`` with ``</w>`` word ends), where most words
  are one token but ``sunflower`` and ``moonbeam`` split into two, so the tests can show where
  the soft path's per-T5-token CLIP rows agree with CLIP's own tokenization and where not.

The tiny transformer's text projections (T5 states and pooled CLIP) are scaled by ``TEXT_GAIN``
so that different prompts give visibly different images, which inversion tests need.

``build_components(preset, dtype, device)`` returns the pipeline in memory without saving:
``"tiny"`` (the one above) or ``"full"`` (FLUX.1-dev-sized configs with random weights, for GPU
memory and time benchmarks; it keeps the tiny tokenizers, whose ids all fit the full tables).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import torch

WORDS = (
    "a", "red", "blue", "green", "cat", "dog", "on", "the", "small", "large", "circle",
    "square", "photo", "of", "sky", "tree", "in", "with",
)
SPLIT_WORDS = {"sunflower": ("sun", "flower"), "moonbeam": ("moon", "beam")}  # CLIP pieces
LETTERS = "abcdefghijklmnopqrstuvwxyz"
UNUSED_T5_ROWS = 8
EXTRA_IDS = 4
TEXT_GAIN = 4.0  # tiny preset: prompts then change images by a mean squared error of ~0.005-0.03


def t5_tokenizer():
    """A T5 tokenizer (Unigram, Metaspace) whose words are single word-start pieces."""
    from transformers import T5Tokenizer

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    vocab += [(f"▁{w}", -3.0) for w in (*WORDS, *SPLIT_WORDS)]
    vocab += [(piece, -4.0) for piece in ("s", "ing", "er")]
    vocab += [(f"▁{c}", -8.0) for c in LETTERS if f"▁{c}" not in {v for v, _ in vocab}]
    vocab += [(c, -9.0) for c in LETTERS if c != "s"]
    return T5Tokenizer(vocab=vocab, extra_ids=EXTRA_IDS, model_max_length=512)


def _merges_for(piece: str, last: bool) -> list[tuple[str, str]]:
    """Left-to-right merges that build ``piece`` (ending a word when ``last``)."""
    chars = list(piece)
    if last:
        chars[-1] += "</w>"
    merges, acc = [], chars[0]
    for c in chars[1:]:
        merges.append((acc, c))
        acc += c
    return merges


def clip_tokenizer():
    """A byte-level BPE CLIP tokenizer: every byte, whole words, and the two split words."""
    from tokenizers import pre_tokenizers
    from transformers import CLIPTokenizer

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    tokens = alphabet + [c + "</w>" for c in alphabet]
    merges: list[tuple[str, str]] = []
    pieces = [(w, True) for w in WORDS if len(w) > 1]
    for first, second in SPLIT_WORDS.values():
        pieces += [(first, False), (second, True)]
    for piece, last in pieces:
        for a, b in _merges_for(piece, last):
            if (a, b) not in merges:
                merges.append((a, b))
                tokens.append(a + b)
    tokens += ["<|startoftext|>", "<|endoftext|>"]  # the highest ids, as in CLIP
    vocab = {t: i for i, t in enumerate(dict.fromkeys(tokens))}
    with tempfile.TemporaryDirectory() as tmp:  # the files CLIP's own repositories ship
        Path(tmp, "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
        lines = ["#version: 0.2", *(f"{a} {b}" for a, b in merges)]
        Path(tmp, "merges.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return CLIPTokenizer.from_pretrained(tmp, model_max_length=77)


def _configs(preset: str, t5_vocab: int, clip_vocab: int) -> dict:
    if preset == "full":  # FLUX.1-dev's component configs
        return {
            "transformer": dict(patch_size=1, in_channels=64, num_layers=19, num_single_layers=38,
                                attention_head_dim=128, num_attention_heads=24,
                                joint_attention_dim=4096, pooled_projection_dim=768,
                                guidance_embeds=True, axes_dims_rope=(16, 56, 56)),
            "vae": dict(block_out_channels=(128, 256, 512, 512), layers_per_block=2,
                        norm_num_groups=32, sample_size=1024),
            "t5": dict(vocab_size=32128, d_model=4096, d_ff=10240, num_layers=24, num_heads=64,
                       d_kv=64),
            "clip": dict(vocab_size=49408, hidden_size=768, intermediate_size=3072,
                         num_hidden_layers=12, num_attention_heads=12, projection_dim=768),
        }
    if preset != "tiny":
        raise ValueError(f"preset must be 'tiny' or 'full', got {preset!r}")
    return {
        "transformer": dict(patch_size=1, in_channels=64, num_layers=1, num_single_layers=1,
                            attention_head_dim=16, num_attention_heads=2, joint_attention_dim=32,
                            pooled_projection_dim=32, guidance_embeds=True,
                            axes_dims_rope=(4, 6, 6)),
        "vae": dict(block_out_channels=(8, 16, 16, 16), layers_per_block=1, norm_num_groups=8,
                    sample_size=32),
        "t5": dict(vocab_size=t5_vocab, d_model=32, d_ff=64, num_layers=2, num_heads=2, d_kv=16,
                   relative_attention_num_buckets=8, relative_attention_max_distance=16),
        "clip": dict(vocab_size=clip_vocab, hidden_size=32, intermediate_size=64,
                     num_hidden_layers=2, num_attention_heads=2, projection_dim=32),
    }


@contextlib.contextmanager
def _defaults(dtype: torch.dtype, device: str | torch.device) -> Iterator[None]:
    """Create parameters directly in ``dtype`` on ``device`` (a full-size model in float32 on
    the host first would need ~70 GB)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            yield
    finally:
        torch.set_default_dtype(old)


def build_components(preset: str = "tiny", dtype: torch.dtype = torch.float32,
                     device: str | torch.device = "cpu", seed: int = 0):
    """A ``FluxPipeline`` with random weights of the ``preset``'s sizes, in memory."""
    from diffusers import (
        AutoencoderKL,
        FlowMatchEulerDiscreteScheduler,
        FluxPipeline,
        FluxTransformer2DModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

    tok5, tok_clip = t5_tokenizer(), clip_tokenizer()
    cfg = _configs(preset, len(tok5) + UNUSED_T5_ROWS, len(tok_clip))
    torch.manual_seed(seed)
    with _defaults(dtype, device):
        transformer = FluxTransformer2DModel(**cfg["transformer"])
        vae = AutoencoderKL(
            in_channels=3, out_channels=3, latent_channels=16,
            down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
            scaling_factor=0.3611, shift_factor=0.1159, use_quant_conv=False,
            use_post_quant_conv=False, **cfg["vae"])
        t5 = T5EncoderModel(T5Config(feed_forward_proj="gated-gelu", is_encoder_decoder=False,
                                     use_cache=False, dropout_rate=0.1, **cfg["t5"]))
        clip = CLIPTextModel(CLIPTextConfig(max_position_embeddings=77, hidden_act="quick_gelu",
                                            bos_token_id=0, eos_token_id=2, pad_token_id=1,
                                            **cfg["clip"]))
    scheduler = FlowMatchEulerDiscreteScheduler(
        num_train_timesteps=1000, shift=3.0, use_dynamic_shifting=True, base_shift=0.5,
        max_shift=1.15, base_image_seq_len=256, max_image_seq_len=4096)
    pipe = FluxPipeline(scheduler=scheduler, vae=vae, text_encoder=clip, tokenizer=tok_clip,
                        text_encoder_2=t5, tokenizer_2=tok5, transformer=transformer)
    if preset == "tiny":  # at this size random text projections barely move the image
        with torch.no_grad():
            transformer.context_embedder.weight.mul_(TEXT_GAIN)
            for p in transformer.time_text_embed.text_embedder.parameters():
                p.mul_(TEXT_GAIN)
    for module in (transformer, vae, t5, clip):
        module.eval()
    return pipe


def build_tiny_flux(folder: str | Path, preset: str = "tiny") -> Path:
    """Write a complete ``FluxPipeline`` of ``preset`` sizes into ``folder``; return it."""
    out = Path(folder)
    build_components(preset).save_pretrained(out)
    return out
