"""A tiny, real, differentiable captioner for inverter tests: it names an image's dominant colour.

Captions are ``"a <colour> image"``. Word scores at each of the four positions come from a fixed
grammar; at the colour position each of red/green/blue scores ``GAIN`` × (its channel mean minus
the mean of the channels), against a fixed score for ``grey``. So a noise image (channel means
≈ 0.5) is captioned "a grey image", and an inverter must shift a channel's mean by about
``GREY_MARGIN`` to win a colour: a few optimisation steps, not one.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from invbench.contracts import ForwardModel, Image, ImageSpec, ObjectiveResult

WORDS = ("<eos>", "a", "red", "green", "blue", "grey", "image")
ID = {w: i for i, w in enumerate(WORDS)}
COLOURS = ("red", "green", "blue")
GAIN = 40.0
GREY_MARGIN = 0.08
LENGTH = 4  # "a", colour, "image", <eos>


def _grammar() -> torch.Tensor:
    scores = torch.full((LENGTH, len(WORDS)), -8.0)
    scores[0, ID["a"]] = 8.0
    scores[1, ID["grey"]] = GAIN * GREY_MARGIN
    scores[1, [ID[c] for c in COLOURS]] = 0.0
    scores[2, ID["image"]] = 8.0
    scores[3, ID["<eos>"]] = 8.0
    return scores


class ToyCaptioner(ForwardModel):
    model_id = "toy-captioner"
    input_modality = "image"
    output_modality = "text"
    input_spec = ImageSpec(64, 64, 3, (0.0, 1.0))

    def __init__(self) -> None:
        super().__init__()
        self.grammar = _grammar()

    @property
    def weights_sha256(self) -> str:
        return "0" * 64

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """(B, LENGTH, words): the grammar plus the image's colour evidence at position 1."""
        means = x.mean(dim=(2, 3))  # (B, 3)
        colour = GAIN * (means - means.mean(dim=1, keepdim=True))
        evidence = torch.zeros(x.shape[0], LENGTH, len(WORDS), dtype=x.dtype)
        evidence[:, 1, [ID[c] for c in COLOURS]] = colour
        return self.grammar + evidence

    def _run(self, inputs: Sequence[Image]) -> list[str]:
        best = self.logits(torch.stack([image.pixels for image in inputs])).argmax(-1)
        return [" ".join(WORDS[int(t)] for t in row if t != ID["<eos>"]) for row in best]

    def _objective(self, x: torch.Tensor, targets: Sequence[str], **options) -> ObjectiveResult:
        ids = torch.tensor([[ID[w] for w in text.split()] + [ID["<eos>"]] for text in targets])
        logits = self.logits(x)
        loss = F.cross_entropy(logits.transpose(1, 2), ids, reduction="none").mean(dim=1)
        success = (logits.argmax(-1) == ids).all(dim=1)
        return ObjectiveResult(loss=loss, success=success)
