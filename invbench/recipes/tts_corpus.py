"""Training speech for the mini-TTS: espeak-ng renderings with a frame count for every token.

A sentence is rendered by espeak-ng (``invbench.worlds.espeak``), its leading and trailing
silence trimmed to fixed pads, and its peak set to ``PEAK``. espeak-ng reports where each word
starts; a word's frames run to the next word's start (the last word's to the end of speech), and
are shared among the word's MiniLM WordPiece tokens in proportion to their characters. The final
period token owns the trailing pad. So the durations of a sentence's tokens sum exactly to the
frames of its spectrogram, which is what the duration head learns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from invbench.models.zoo.tts_net import HOP, SAMPLE_RATE
from invbench.worlds.espeak import render

PEAK = 0.5  # as the ASR targets: head-room below full scale
SILENCE = 0.01  # |sample| (after normalisation) below this is silence
LEAD_PAD = 0.04  # seconds kept before the first loud sample
TAIL_PAD = 0.12  # seconds kept after the last loud sample (the final period's frames)
WORD_TAIL = 0.03  # seconds of the tail pad still counted as the last word


@dataclass(frozen=True)
class AlignedSentence:
    text: str
    samples: np.ndarray  # float32 at SAMPLE_RATE
    token_ids: tuple[int, ...]
    durations: tuple[int, ...]  # frames per token; sum = frames of the centred STFT


def espeak_waveform(text: str):
    """espeak-ng's rendering of ``text`` at 16 kHz with its peak at ``PEAK`` (a ``Waveform``, as
    Whisper takes it: the quality reference the TTS and its targets are measured against)."""
    import torch

    from invbench.contracts.media import Waveform

    x = render(text).samples
    peak = float(np.abs(x).max()) if x.size else 0.0
    return Waveform(torch.from_numpy(x * (PEAK / peak) if peak else x), SAMPLE_RATE)


def frame_count(n_samples: int) -> int:
    return 1 + n_samples // HOP


def _split(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` frames shared in proportion to ``weights`` (cumulative rounding: exact sum)."""
    edges = np.rint(np.cumsum([0, *weights]) / max(sum(weights), 1) * total).astype(int)
    return [int(b - a) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def align(text: str, tokenizer) -> AlignedSentence | None:
    """Render ``text`` and share its frames among its tokens; ``None`` when espeak-ng's word
    events do not match the text's words (such a sentence is left out and counted)."""
    speech = render(text)
    x = speech.samples
    peak = float(np.abs(x).max()) if x.size else 0.0
    if peak == 0.0:
        return None
    x = x * (PEAK / peak)
    loud = np.flatnonzero(np.abs(x) > SILENCE)
    lead, tail = int(LEAD_PAD * SAMPLE_RATE), int(TAIL_PAD * SAMPLE_RATE)
    begin = max(int(loud[0]) - lead, 0)
    x = x[begin : int(loud[-1]) + tail]
    # espeak-ng's own trailing silence may be shorter than the pad: fill it with zeros
    x = np.pad(x, (0, int(loud[-1]) + tail - begin - len(x))).astype(np.float32)
    n_frames = frame_count(len(x))
    words = speech.words
    if not words:
        return None

    # event k owns frames [bounds[k], bounds[k+1]); the trailing pad lies beyond speech_end
    speech_end = int(round((int(loud[-1]) - begin + WORD_TAIL * SAMPLE_RATE) / HOP))
    starts = [max(int(round((w.start_sample - begin) / HOP)), 0) for w in words]
    starts[0] = 0
    bounds = [*starts, min(speech_end, n_frames)]
    if any(b >= a for a, b in zip(bounds[1:], bounds[:-1], strict=True)):
        return None  # an event with no frames: the aligner and the text disagree

    # espeak-ng sometimes speaks a short word with its neighbour ("of the") and reports one
    # event: event k owns the characters up to the next event's start
    char_edges = [w.start_char for w in words] + [len(text)]
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = encoded["input_ids"], encoded["offset_mapping"]
    owner: list[int | None] = []  # the event each token belongs to; None for punctuation
    for start, stop in offsets:
        if not text[start:stop].isalnum():
            owner.append(None)
            continue
        inside = [k for k in range(len(words)) if char_edges[k] <= start < char_edges[k + 1]]
        if not inside:
            return None
        owner.append(inside[0])
    durations = [0] * len(ids)
    for k in range(len(words)):
        members = [i for i, o in enumerate(owner) if o == k]
        if not members:
            return None
        shares = _split(bounds[k + 1] - bounds[k], [offsets[i][1] - offsets[i][0] for i in members])
        for i, share in zip(members, shares, strict=True):
            durations[i] = share
    leftover = n_frames - sum(durations)
    tail_owner = len(ids) - 1 if owner[-1] is None else None
    if tail_owner is None:
        last_word = [i for i, o in enumerate(owner) if o == len(words) - 1][-1]
        tail_owner = last_word
    durations[tail_owner] += leftover
    return AlignedSentence(text, x, tuple(ids), tuple(durations))


def build_corpus(sentences: Sequence[str], tokenizer) -> tuple[list[AlignedSentence], int]:
    """Aligned renderings of ``sentences`` and how many were left out."""
    corpus = [a for a in (align(s, tokenizer) for s in sentences) if a is not None]
    return corpus, len(sentences) - len(corpus)
