"""A randomly initialised Chatterbox-TTS built from Chatterbox's own classes and saved the way
``ResembleAI/chatterbox`` is laid out, so that the adapter loads it through its own loader
(``ChatterboxTTS.from_local`` on a folder of :data:`CHECKPOINT_FILES`).

What is small and what is not:

- **T3** is ``T3()`` with its default ``T3Config`` (704 text rows, 8194 speech rows, perceiver
  resampler, emotion input), but the Llama backbone its config names (``Llama_520M``) is swapped
  for two layers (:func:`tiny_t3`). The hidden size stays 1024: the perceiver resampler that
  ``T3CondEnc`` builds has a fixed width of 1024. ``from_local`` calls ``T3()``, so the swap must
  be active whenever the folder is loaded.
- **S3Gen** and the **voice encoder** are full size (``S3Gen()`` and ``VoiceEncoder()`` take no
  configuration); random weights, seed 0.
- **tokenizer.json** is a character-level ``tokenizers`` BPE with Chatterbox's special tokens at
  the ids T3Config expects (``[STOP]`` = 0, ``[START]`` = 255) and ``[SPACE]`` as one token.
- **conds.pt** (the built-in voice) is made by Chatterbox's own ``prepare_conditionals`` from a
  shipped espeak-ng rendering and saved with ``Conditionals.save``.

**The one change to Chatterbox's code path** (:func:`capped_sampling`): with random weights T3
almost never samples its stop token, so ``generate`` would always run its full 1000 steps and
S3Gen would vocode 40 s of noise. The cap lowers ``T3.inference``'s ``max_new_tokens`` only;
everything else in ``generate`` runs as released.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator
from pathlib import Path

import torch
from safetensors.torch import save_file

REPO = Path(__file__).resolve().parents[3]
# a shipped espeak-ng rendering (16 kHz mono): the built-in voice's reference clip
REFERENCE_CLIP = next((REPO / "data" / "targets" / "transcripts-mini" / "audio").glob("*.wav"))
TINY_LAYERS = 2
MAX_NEW_TOKENS = 12  # speech tokens per generate call under capped_sampling (25 per second)
SPECIALS = {"[STOP]": 0, "[UNK]": 1, "[SPACE]": 2, "[PAD]": 3, "[SEP]": 4, "[CLS]": 5,
            "[MASK]": 6, "[START]": 255}
CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'\"-"


@contextlib.contextmanager
def tiny_t3() -> Iterator[None]:
    """``Llama_520M`` as a two-layer Llama of the same width while the block runs."""
    from chatterbox.models.t3.llama_configs import LLAMA_CONFIGS

    full = LLAMA_CONFIGS["Llama_520M"]
    LLAMA_CONFIGS["Llama_520M"] = {**full, "num_hidden_layers": TINY_LAYERS,
                                   "intermediate_size": 1024}
    try:
        yield
    finally:
        LLAMA_CONFIGS["Llama_520M"] = full


@contextlib.contextmanager
def capped_sampling(max_new_tokens: int = MAX_NEW_TOKENS) -> Iterator[None]:
    """``T3.inference`` with ``max_new_tokens`` lowered (see the module docstring)."""
    from chatterbox.models.t3.t3 import T3

    released = T3.inference

    @functools.wraps(released)
    def capped(self, **kwargs):
        kwargs["max_new_tokens"] = min(kwargs.get("max_new_tokens") or max_new_tokens,
                                       max_new_tokens)
        return released(self, **kwargs)

    T3.inference = capped
    try:
        yield
    finally:
        T3.inference = released


def tokenizer_json() -> dict:
    """A character-level BPE (no merges) over :data:`CHARACTERS` plus Chatterbox's specials."""
    vocab = dict(SPECIALS)
    free = (i for i in range(len(SPECIALS) + 1, 704) if i not in SPECIALS.values())
    vocab.update({c: next(free) for c in CHARACTERS})
    added = [{"id": i, "content": token, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False, "special": True}
             for token, i in SPECIALS.items()]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": None, "pre_tokenizer": None, "post_processor": None, "decoder": None,
            "model": {"type": "BPE", "dropout": None, "unk_token": "[UNK]",
                      "continuing_subword_prefix": None, "end_of_word_suffix": None,
                      "fuse_unk": False, "byte_fallback": False, "vocab": vocab, "merges": []}}


def _save(module: torch.nn.Module, path: Path) -> None:
    # safetensors refuses tensors that share storage: each entry gets its own copy
    save_file({k: v.detach().clone().contiguous() for k, v in module.state_dict().items()},
              str(path))


def build_tiny_chatterbox(folder: Path, seed: int = 0) -> Path:
    """Write ``ve.safetensors``, ``t3_cfg.safetensors``, ``s3gen.safetensors``,
    ``tokenizer.json`` and ``conds.pt`` of a random Chatterbox into ``folder``."""
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.t3 import T3
    from chatterbox.models.tokenizers import EnTokenizer
    from chatterbox.models.voice_encoder import VoiceEncoder
    from chatterbox.tts import ChatterboxTTS

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    with tiny_t3():
        t3 = T3().eval()
    s3gen, ve = S3Gen().eval(), VoiceEncoder().eval()
    _save(ve, folder / "ve.safetensors")
    _save(t3, folder / "t3_cfg.safetensors")
    _save(s3gen, folder / "s3gen.safetensors")
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer_json()))
    tts = ChatterboxTTS(t3, s3gen, ve, EnTokenizer(str(folder / "tokenizer.json")), "cpu")
    tts.prepare_conditionals(str(REFERENCE_CLIP))  # Chatterbox's own voice preparation
    tts.conds.save(folder / "conds.pt")
    return folder

