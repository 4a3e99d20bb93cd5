"""A tiny, real, differentiable text-input model for prompt-inverter tests.

A 40-word vocabulary (four special tokens the prompt may not use, then 36 words) with a fixed
random 8-d embedding table; prompts of at most 12 content tokens. A prompt's embeddings are
weighted by position, summed and squashed into a 16-d state, which one of two heads turns into
the output: ``kind="image"`` gives a ``(3, 4, 4)`` :class:`Image` in [0, 1] (a text → image
model, ``generator``-like), ``kind="audio"`` a 32-sample :class:`Waveform` in [-1, 1] (a text →
audio model, ``tts``-like). The objective is the per-item mean squared error to the target's
``payload["image"]`` / ``payload["audio"]``; success once it is at most ``SUCCESS_MSE``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import torch

from invbench.contracts import Image, ObjectiveResult, Waveform
from invbench.contracts.text_input import Text, TextInputModel, TextSpec, check_soft_embeddings

SPECIALS = ("[PAD]", "[CLS]", "[SEP]", "[UNK]")
WORDS = (
    "a", "the", "red", "green", "blue", "grey", "yellow", "purple", "small", "large",
    "circle", "square", "ring", "cross", "triangle", "diamond", "left", "right", "above",
    "below", "of", "on", "and", "background", "black", "white", "hello", "world", "say",
    "quiet", "loud", "fast", "slow", "one", "two", "three",
)
VOCAB = SPECIALS + WORDS
ID = {w: i for i, w in enumerate(VOCAB)}
DIM, HIDDEN, MAX_TOKENS = 8, 16, 12
IMAGE_SHAPE = (3, 4, 4)
AUDIO_SAMPLES, SAMPLE_RATE = 32, 8000
SUCCESS_MSE = 1e-6


class ToyTextModel(TextInputModel):
    output_modality = "image"

    def __init__(self, kind: Literal["image", "audio"] = "image") -> None:
        super().__init__()
        self.kind = kind
        self.model_id = f"toy-text-{kind}"
        self.output_modality = "image" if kind == "image" else "audio"
        self.input_spec = TextSpec(len(VOCAB), DIM, MAX_TOKENS)
        g = torch.Generator().manual_seed(0)
        self.table = torch.randn(len(VOCAB), DIM, generator=g)
        self.position = 1.0 / (1.0 + 0.3 * torch.arange(MAX_TOKENS, dtype=torch.float32))
        self.mix = torch.randn(DIM, HIDDEN, generator=g) / DIM**0.5
        outputs = IMAGE_SHAPE[0] * IMAGE_SHAPE[1] * IMAGE_SHAPE[2] if kind == "image" else (
            AUDIO_SAMPLES
        )
        self.head = torch.randn(HIDDEN, outputs, generator=g)

    @property
    def weights_sha256(self) -> str:
        return "0" * 64

    @property
    def token_embeddings(self) -> torch.Tensor:
        return self.table

    @property
    def prompt_token_mask(self) -> torch.Tensor:
        return torch.tensor([w not in SPECIALS for w in VOCAB])

    @property
    def token_strings(self) -> list[str]:
        return list(VOCAB)

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        return [[ID.get(w, ID["[UNK]"]) for w in text.split()] for text in texts]

    def detokenize(self, ids: Sequence[int]) -> str:
        return " ".join(VOCAB[int(i)] for i in ids)

    def output(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, ...)`` outputs of soft prompts ``(B, L, D)`` (differentiable)."""
        length = x.shape[1]
        state = torch.tanh((x * self.position[:length, None]).sum(dim=1) @ self.mix)
        raw = state @ self.head
        if self.kind == "image":
            return torch.sigmoid(raw).view(-1, *IMAGE_SHAPE)
        return torch.tanh(raw)

    def _wrap(self, y: torch.Tensor) -> Image | Waveform:
        return Image(y) if self.kind == "image" else Waveform(y, SAMPLE_RATE)

    def _run(self, inputs: Sequence[Text]) -> list[Any]:
        return self._run_from_embeddings(
            [self.embed(self.tokenize([item.text])[0]) for item in inputs]
        )

    def _run_from_embeddings(self, prompts: Sequence[torch.Tensor]) -> list[Any]:
        out = []
        for soft in prompts:
            soft = check_soft_embeddings(soft, self.input_spec)
            out.append(self._wrap(self.output(soft[None].float())[0]))
        return out

    def target_tensor(self, target: Any) -> torch.Tensor:
        payload = getattr(target, "payload", target)
        value = payload[self.kind] if isinstance(payload, Mapping) else payload
        return value.pixels if isinstance(value, Image) else value.samples

    def _objective(self, x: torch.Tensor, targets: Sequence[Any], **options) -> ObjectiveResult:
        wanted = torch.stack([self.target_tensor(t) for t in targets]).float()
        y = self.output(x)
        loss = (y - wanted).pow(2).flatten(1).mean(dim=1)
        return ObjectiveResult(loss=loss, success=loss.detach() <= SUCCESS_MSE)
