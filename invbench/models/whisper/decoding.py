"""How Whisper is decoded for scoring, and a transcript's tokens as that decoder emits them.

The objective teacher-forces the tokens greedy decoding would produce after the prompt, and its
``success`` applies the same logit filters, so success means the standard decoder would emit
exactly the target.
"""

from __future__ import annotations

from typing import Any

import torch

from invbench.contracts.errors import InvbenchError

LANGUAGE = "en"  # every asr target is English; forced, never auto-detected
DECODING: dict[str, Any] = {
    "window": "pad_or_trim to 30 s",
    "language": LANGUAGE,
    "task": "transcribe",
    "without_timestamps": True,
    "temperature": 0.0,
    "search": "greedy",
    "fp16": False,
    "batching": "one item per decode (batch-independent)",
}


class GreedyTokens:
    """The tokenizer, prompt and greedy-decoding filters of one loaded Whisper model."""

    def __init__(self, model: Any) -> None:
        from whisper.tokenizer import get_tokenizer

        self.n_text_ctx = model.dims.n_text_ctx
        self.tokenizer = get_tokenizer(
            multilingual=model.is_multilingual,
            num_languages=model.num_languages,
            language=LANGUAGE,
            task="transcribe",
        )
        self.prompt = list(self.tokenizer.sot_sequence_including_notimestamps)
        self._suppressed, self._suppressed_first = self._greedy_filters()

    def encode_text(self, text: str) -> list[int]:
        """Target tokens, as greedy decoding would emit them after the prompt (eot excluded)."""
        return self.tokenizer.encode(" " + text.strip())

    def teacher_forcing(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Decoder inputs and labels for a batch of transcripts of different token lengths.

        Each row is ``prompt + text + eot`` shifted by one; labels are -100 (ignored) on the
        prompt and on the right padding, which the causal mask keeps out of every real position.
        """
        texts_tokens = [self.encode_text(t) for t in texts]
        longest_text = max(len(t) for t in texts_tokens) + 1
        if longest_text > self.n_text_ctx // 2:  # whisper.decode's sample_len
            raise InvbenchError(
                f"target of {longest_text} tokens is longer than Whisper emits in one window "
                f"({self.n_text_ctx // 2})"
            )
        eot = self.tokenizer.eot
        sequences = [self.prompt + t + [eot] for t in texts_tokens]
        width = max(len(s) for s in sequences) - 1
        inputs = torch.full((len(texts), width), eot, dtype=torch.long)
        labels = torch.full((len(texts), width), -100, dtype=torch.long)
        start = len(self.prompt) - 1  # the position whose output is the first text token
        for i, seq in enumerate(sequences):
            inputs[i, : len(seq) - 1] = torch.tensor(seq[:-1])
            labels[i, start : len(seq) - 1] = torch.tensor(seq[len(self.prompt) :])
        return inputs, labels

    def _greedy_filters(self) -> tuple[list[int], list[int]]:
        """The tokens ``whisper.decode`` never emits with default options (``suppress_tokens="-1"``)
        and those it also bans at the first position (``suppress_blank``)."""
        tok = self.tokenizer
        always = set(tok.non_speech_tokens)
        always |= {tok.transcribe, tok.translate, tok.sot, tok.sot_prev, tok.sot_lm}
        if tok.no_speech is not None:
            always.add(tok.no_speech)
        return sorted(always), tok.encode(" ") + [tok.eot]

    def greedy_choice(self, logits: torch.Tensor) -> torch.Tensor:
        """Argmax after the same logit filters greedy decoding applies."""
        masked = logits.detach().clone()
        masked[..., self._suppressed] = -torch.inf
        masked[:, len(self.prompt) - 1, self._suppressed_first] = -torch.inf
        return masked.argmax(dim=-1)
