"""Chatterbox-TTS plumbing that needs no Chatterbox: target audio at the S3 tokenizer's
rate, the framing of soft text rows, the speech teacher-forcing layout and the vocabulary
mask (:mod:`invbench.models.paper.chatterbox` wires them to the real modules). Tested on their
own, on real tensors, where Chatterbox cannot be installed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import gcd
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from invbench.contracts.errors import InvbenchError
from invbench.contracts.media import Waveform
from invbench.models.target_payload import target_field

S3_SAMPLE_RATE = 16000  # chatterbox.models.s3tokenizer.S3_SR: the speech tokenizer's input rate
# EnTokenizer's special tokens; [SPACE] is missing on purpose: the tokenizer writes every space
# as [SPACE], so it is the word separator of every multi-word prompt.
EXCLUDED_SPECIALS = ("[START]", "[STOP]", "[UNK]", "[PAD]", "[SEP]", "[CLS]", "[MASK]")


def target_waveform(target: Any) -> Waveform:
    """The clip of a target (a ``Waveform`` or a payload ``{"audio": Waveform}``), validated."""
    audio = target_field(target, "audio")
    if not isinstance(audio, Waveform) or not isinstance(audio.samples, Tensor):
        raise InvbenchError(f"a TTS target must be a Waveform, got {type(audio).__name__}")
    x = audio.samples
    if x.ndim != 1 or x.numel() == 0 or not torch.isfinite(x).all() or audio.sample_rate <= 0:
        raise InvbenchError(f"a TTS target must be a non-empty, finite mono Waveform, got shape "
                            f"{tuple(x.shape)} at {audio.sample_rate} Hz")
    return audio


def resample_to_16k(wave: Waveform) -> Tensor:
    """``wave``'s samples at 16 kHz (polyphase, scipy), float32 on the CPU."""
    samples = wave.samples.detach().to("cpu", torch.float32)
    if wave.sample_rate == S3_SAMPLE_RATE:
        return samples
    from scipy.signal import resample_poly

    k = gcd(S3_SAMPLE_RATE, wave.sample_rate)
    out = resample_poly(samples.numpy(), S3_SAMPLE_RATE // k, wave.sample_rate // k)
    return torch.from_numpy(np.ascontiguousarray(out, dtype=np.float32))


def frame_soft_rows(table: Tensor, soft: Tensor, start: int, stop: int) -> Tensor:
    """``(L + 2, D)``: the table's ``start`` row, the soft rows, the ``stop`` row (as T3 frames
    token ids with ``start_text_token``/``stop_text_token``); differentiable in ``soft``."""
    ends = table[[start, stop]].to(soft.device, soft.dtype)
    return torch.cat([ends[:1], soft, ends[1:]])


class SoftTextEmbedding(nn.Module):
    """Stands in for ``T3.text_emb`` while ``generate`` runs on a soft prompt: given the framed
    placeholder ids ``(B, L + 2)`` it returns the framed soft rows, one fresh copy per row (T3
    zeroes the CFG row in place)."""

    def __init__(self, table: nn.Embedding, soft: Tensor, start: int, stop: int,
                 placeholder: int) -> None:
        super().__init__()
        self.table, self.soft = table, soft
        self.start, self.stop, self.placeholder = start, stop, placeholder

    def forward(self, ids: Tensor) -> Tensor:
        expected = [self.start] + [self.placeholder] * len(self.soft) + [self.stop]
        if ids.ndim != 2 or ids.shape[1] != len(expected) or \
                (ids != torch.tensor(expected, device=ids.device)).any():
            raise InvbenchError(f"soft prompt of {len(self.soft)} rows got unexpected text ids "
                                f"{tuple(ids.shape)}: chatterbox's framing changed")
        rows = frame_soft_rows(self.table.weight, self.soft.to(self.table.weight), self.start,
                               self.stop)
        return rows[None].repeat(ids.shape[0], 1, 1)


class PlaceholderTokenizer:
    """Stands in for ``EnTokenizer`` during a soft-prompt ``generate``: ``L`` placeholder ids."""

    def __init__(self, length: int, placeholder: int) -> None:
        self.length, self.placeholder = length, placeholder

    def text_to_tokens(self, text: str) -> Tensor:
        return torch.full((1, self.length), self.placeholder, dtype=torch.int32)


def speech_teacher_forcing(tokens: Tensor, start: int, stop: int) -> tuple[Tensor, Tensor, Tensor]:
    """Speech ids, their position ids and labels (-100: none) for target tokens ``(n,)``, laid
    out as ``T3.inference`` feeds them: ``prepare_input_embeds`` ends with ``start`` at position 0
    and ``inference`` appends a second ``start`` at position 0, whose output predicts token 0;
    token ``i`` sits at position ``i + 1`` and predicts token ``i + 1``, the last one ``stop``."""
    tokens = tokens.long().reshape(-1)
    head = tokens.new_tensor([start, start])
    ids = torch.cat([head, tokens])
    positions = torch.cat([tokens.new_zeros(2), torch.arange(1, len(tokens) + 1,
                                                             device=tokens.device)])
    labels = torch.cat([tokens.new_tensor([-100]), tokens, tokens.new_tensor([stop])])
    return ids, positions, labels


def vocabulary(vocab: Mapping[str, int], rows: int, excluded_ids: Sequence[int]
               ) -> tuple[list[str], Tensor]:
    """Token strings by id (``""`` for table rows no token uses) and the prompt mask: rows with
    a token that is not one of :data:`EXCLUDED_SPECIALS` nor in ``excluded_ids``."""
    strings = [""] * rows
    for token, i in vocab.items():
        if 0 <= i < rows:
            strings[i] = token
    mask = torch.tensor([bool(s) and s not in EXCLUDED_SPECIALS for s in strings])
    mask[[i for i in excluded_ids if 0 <= i < rows]] = False
    return strings, mask
