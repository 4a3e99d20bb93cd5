"""espeak-ng rendering with word boundaries, and the TTS corpus aligner built on it.

Needs espeak-ng (libespeak-ng), as the TTS recipe does. The exact word events asserted here
("of the" spoken as one word) are those of espeak-ng 1.51, the version the recipe records.
"""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from invbench.contracts.errors import InvbenchError
from invbench.models.minilm import load_minilm
from invbench.models.zoo.tts_net import HOP, SAMPLE_RATE
from invbench.recipes.tts_corpus import (
    LEAD_PAD,
    PEAK,
    SILENCE,
    TAIL_PAD,
    WORD_TAIL,
    _split,
    align,
    build_corpus,
    frame_count,
)
from invbench.worlds import espeak

SHAPES = "A large cyan hexagon above a small pink star."
OF_THE = "The cat sat on top of the table."


@pytest.fixture(scope="module")
def tokenizer():
    return load_minilm().tokenizer


# ------------------------------------------------------------------ render


@pytest.mark.parametrize("text", ["The red circle.", SHAPES, "Please pass the salt."])
def test_render_gives_16khz_float_audio_and_one_word_per_spoken_word(text: str) -> None:
    speech = espeak.render(text)
    assert speech.sample_rate == SAMPLE_RATE == 16000
    assert speech.samples.dtype == np.float32 and speech.samples.ndim == 1
    assert 0.3 * SAMPLE_RATE < len(speech.samples) < 5 * SAMPLE_RATE
    assert 0.05 < np.abs(speech.samples).max() <= 1.0
    spoken = text.rstrip(".").split()
    assert [w.text for w in speech.words] == spoken
    assert [w.start_char for w in speech.words] == [m.start() for m in re.finditer(r"\w+", text)]
    starts = [w.start_sample for w in speech.words]
    assert starts[0] == 0 and all(a < b for a, b in zip(starts, starts[1:], strict=False))
    assert starts[-1] < len(speech.samples)


def test_words_espeak_speaks_together_share_one_event() -> None:
    speech = espeak.render(OF_THE)
    # "of the" is one event at "of"; "table" follows it directly
    assert [w.text for w in speech.words] == ["The", "cat", "sat", "on", "top", "of", "table"]
    assert speech.words[-1].start_char == OF_THE.index("table")


def test_the_empty_clause_end_event_is_not_a_word() -> None:
    """espeak-ng reports a zero-length "word" where a clause ends (not after every sentence:
    it depends on what it spoke before). ``render`` keeps only words of the text."""
    seen_empty = False
    texts = ["The red circle.", "Please pass the salt.", "We were very tired.",
             "The small dog sat near the window."]
    for text in texts * 3:
        speech = espeak.render(text)
        events = espeak.engine().events
        seen_empty |= any(length == 0 for _, length, _ in events)
        assert [w.text for w in speech.words] == text.rstrip(".").split(), events
        assert len(speech.words) == sum(1 for _, length, _ in events if length > 0)
    assert seen_empty, "no clause-end event seen: the filter was not exercised"


def test_render_refuses_non_ascii_text() -> None:
    with pytest.raises(InvbenchError, match="ASCII"):
        espeak.render("The caf\u00e9 is open.")


def test_a_fresh_process_renders_the_same_samples() -> None:
    """espeak-ng keeps state between utterances (repeating a sentence in one process gives a few
    samples more or less), so the recipe's bit-identical corpus holds per fresh process."""
    code = (
        "import hashlib; from invbench.worlds.espeak import render; "
        "print(hashlib.sha256(render('The red circle.').samples.tobytes()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(digests) == 1 and len(next(iter(digests))) == 64


# ------------------------------------------------------------------ align

SENTENCES = [
    "The red circle.",
    "the red circle",  # no period: the last word owns the trailing pad
    SHAPES,  # "cyan" -> cy ##an, "hexagon" -> he ##xa ##gon
    "Draw a small orange triangle below the green diamond.",
    OF_THE,  # "of the" is one espeak-ng word
    "She walked to the end of the road.",
    "Please pass the salt.",
    "We were very tired.",
    "The small dog sat near the window.",
]


@pytest.mark.parametrize("text", SENTENCES)
def test_durations_sum_exactly_to_the_frames(text: str, tokenizer) -> None:
    aligned = align(text, tokenizer)
    assert aligned is not None
    assert aligned.text == text
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert list(aligned.token_ids) == ids
    assert len(aligned.durations) == len(ids)
    assert sum(aligned.durations) == frame_count(len(aligned.samples))
    tokens = tokenizer.convert_ids_to_tokens(ids)
    for token, frames in zip(tokens, aligned.durations, strict=True):
        assert frames > 0, (token, aligned.durations)  # every spoken token is heard
    assert aligned.samples.dtype == np.float32
    assert np.abs(aligned.samples).max() == pytest.approx(PEAK, rel=1e-6)


def test_word_pieces_share_their_word_by_characters(tokenizer) -> None:
    aligned = align(SHAPES, tokenizer)
    tokens = tokenizer.convert_ids_to_tokens(list(aligned.token_ids))
    frames = dict(zip(tokens, aligned.durations, strict=True))
    hexagon = [frames["he"], frames["##xa"], frames["##gon"]]
    assert hexagon == _split(sum(hexagon), [2, 2, 3])
    assert [frames["cy"], frames["##an"]] == _split(frames["cy"] + frames["##an"], [2, 2])


def test_words_spoken_together_share_their_frames(tokenizer) -> None:
    aligned = align(OF_THE, tokenizer)
    tokens = tokenizer.convert_ids_to_tokens(list(aligned.token_ids))
    assert tokens == ["the", "cat", "sat", "on", "top", "of", "the", "table", "."]
    of, the = aligned.durations[5], aligned.durations[6]
    assert [of, the] == _split(of + the, [2, 3])  # the "of the" event, by characters


def test_the_final_period_owns_the_trailing_pad(tokenizer) -> None:
    aligned = align("Please pass the salt.", tokenizer)
    loud = np.flatnonzero(np.abs(aligned.samples) > SILENCE)
    tail = int(TAIL_PAD * SAMPLE_RATE)
    assert len(aligned.samples) - int(loud[-1]) == tail  # trimmed to the pad exactly
    assert int(loud[0]) <= int(LEAD_PAD * SAMPLE_RATE)
    period = aligned.durations[-1]
    expected = (TAIL_PAD - WORD_TAIL) * SAMPLE_RATE / HOP  # 5.6 frames
    assert period > 0 and abs(period - expected) <= 2, aligned.durations

    no_period = align("the red circle", tokenizer)
    with_period = align("The red circle.", tokenizer)
    # without a period the last word takes the pad: it is longer than with one
    assert no_period.durations[-1] > with_period.durations[-2]


def test_build_corpus_counts_nothing_dropped_for_grammar_sentences(tokenizer) -> None:
    corpus, dropped = build_corpus(SENTENCES[:3], tokenizer)
    assert dropped == 0 and [a.text for a in corpus] == SENTENCES[:3]


# ------------------------------------------------------------------ _split


@pytest.mark.parametrize(
    ("total", "weights", "shares"),
    [
        (10, [1, 1], [5, 5]),
        (5, [1, 1], [2, 3]),  # half-way rounds to even: the sum stays exact
        (7, [1, 2], [2, 5]),
        (3, [2, 4, 6], [0, 2, 1]),
        (100, [1, 1, 1], [33, 34, 33]),
        (13, [4], [13]),
        (0, [2, 3], [0, 0]),
        (36, [2, 2, 3], [10, 11, 15]),
    ],
)
def test_split_shares_exactly(total: int, weights: list[int], shares: list[int]) -> None:
    assert _split(total, weights) == shares
    assert sum(shares) == total


def test_split_sums_exactly_for_any_positive_weights() -> None:
    rng = np.random.default_rng(0)
    for _ in range(500):
        weights = rng.integers(1, 12, size=rng.integers(1, 6)).tolist()
        total = int(rng.integers(0, 80))
        shares = _split(total, weights)
        assert sum(shares) == total and min(shares) >= 0, (total, weights, shares)
