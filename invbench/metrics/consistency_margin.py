r"""Image–text consistency and its fine-grained margin over minimal foils.

A :class:`~invbench.contracts.consistency.ConsistencyModel` embeds the image :math:`x` and
texts. With the cosine :math:`c` of :func:`invbench.contracts.consistency.consistency`, the
target text :math:`y` and its foils :math:`F(y)` (:mod:`invbench.worlds.foils`: each one edit
away from :math:`y`), the metric reports

.. math::
    \mathrm{consistency} = c(x, y), \qquad
    \mathrm{consistency\_margin} = c(x, y) - \max_{f \in F(y)} c(x, f).

The margin is positive only when the image carries what tells the target apart from every foil:
which object has which colour, shape or size, where it is, the background. A model that only
sees the topic scores the target and its foils alike, so the margin comes out near 0 or below.
Cosines are taken in float64 on the model's float32 embeddings.

``foils="shapes"`` parses the target as a Shapes-world caption. ``foils="vocabulary"``
substitutes one word at a time from ``vocabulary`` (``per_position`` words per position), for
texts of any other world. The judge defaults to ``mini-clip-judge``, the model no inverter
optimises against.

Example (the shipped judge, on a render of the caption and on one with two colours exchanged):
    >>> from invbench.contracts.media import Image
    >>> from invbench.worlds.shapes import Scene, ShapeObject, caption, render_tensor
    >>> scene = Scene((ShapeObject("circle", "red", "large", 0, 0),
    ...                ShapeObject("square", "blue", "large", 2, 2)), "white")
    >>> swapped = Scene((ShapeObject("circle", "blue", "large", 0, 0),
    ...                  ShapeObject("square", "red", "large", 2, 2)), "white")
    >>> metric = ConsistencyMargin()
    >>> metric.score_item(Image(render_tensor(scene)), caption(scene))["consistency_margin"] > 0
    True
    >>> metric.score_item(Image(render_tensor(swapped)), caption(scene))["consistency_margin"] < 0
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from invbench.contracts.consistency import ConsistencyModel, consistency
from invbench.contracts.errors import InvbenchError
from invbench.contracts.media import Image
from invbench.contracts.metric import MetricInputError, MetricOutput
from invbench.metrics.clip_score import JudgedMetric, judge_name
from invbench.metrics.image_similarity import checked_pixels
from invbench.worlds.foils import shapes_foils, vocabulary_foils

FOIL_SOURCES = ("shapes", "vocabulary")


class ConsistencyMargin(JudgedMetric):
    """``consistency`` of the image with the target text, and its margin over the foils."""

    name: ClassVar[str] = "consistency_margin"
    description: ClassVar[str] = "cos(image, target) and cos(image, target) - max cos(image, foil)"
    requires: ClassVar[tuple[str, ...]] = ("image", "target_text")
    reference: ClassVar[str] = "invbench.contracts.consistency"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput("consistency", True, (-1.0, 1.0), "cosine of image and target embeddings"),
        MetricOutput("consistency_margin", True, (-2.0, 2.0),
                     "target cosine minus the best foil cosine; > 0: fine-grained content"),
    )

    def __init__(self, model: str = "mini-clip-judge", foils: str = "shapes",
                 vocabulary: Sequence[str] | None = None, per_position: int = 3,
                 judge: ConsistencyModel | None = None) -> None:
        if foils not in FOIL_SOURCES:
            raise InvbenchError(f"consistency_margin foils must be one of {FOIL_SOURCES}, got "
                                f"{foils!r}")
        if foils == "vocabulary" and not vocabulary:
            raise InvbenchError("consistency_margin with foils: vocabulary needs a vocabulary "
                                "option (the words substituted, e.g. the task's target words)")
        super().__init__(model, judge)
        self.foils, self.per_position = foils, int(per_position)
        self.vocabulary = sorted(set(vocabulary or ()))

    @property
    def judge(self) -> ConsistencyModel:
        judge = super().judge
        if not isinstance(judge, ConsistencyModel) or judge.media_kind != "image":
            raise InvbenchError(f"model {self.model!r} is not an image ConsistencyModel "
                                "(embed_media, embed_text, embed_text_embeddings, describe)")
        return judge

    def settings(self) -> dict[str, Any]:
        judge = self.judge
        info = judge.describe()
        foils = self.foils if self.foils == "shapes" else \
            f"vocabulary-{len(self.vocabulary)}-words-{self.per_position}-per-position"
        return {"model": judge_name(judge, self.model),
                "sha256": str(info["weights_sha256"])[:12],
                "text_sha256": str(info["text_weights_sha256"])[:12],
                "foils": foils, "cos": "float64"}

    def _foil_texts(self, target_text: str) -> list[str]:
        try:
            made = shapes_foils(target_text) if self.foils == "shapes" else \
                vocabulary_foils(target_text, self.vocabulary, self.per_position)
        except InvbenchError as exc:
            raise MetricInputError(str(exc)) from None
        if not made:
            raise MetricInputError(f"target_text {target_text!r} has no foils")
        return [f.text for f in made]

    def score_item(self, image: Image, target_text: str, **_: Any) -> dict[str, float]:
        if not isinstance(target_text, str) or not target_text.strip():
            raise MetricInputError(f"target_text must be a non-empty str, got {target_text!r}")
        pixels = checked_pixels(image, "image").to(torch.float32).unsqueeze(0)
        texts = [target_text, *self._foil_texts(target_text)]
        try:
            with torch.no_grad():
                media = self.judge.embed_media(pixels)
                text = self.judge.embed_text(texts)
        except ValueError as exc:  # the judge's input size
            raise MetricInputError(str(exc)) from None
        cos = consistency(media.to(torch.float64).expand(len(texts), -1),
                          text.to(torch.float64))
        return {"consistency": float(cos[0]),
                "consistency_margin": float(cos[0] - cos[1:].max())}
