r"""Judge-CLIP image-image similarity of regenerated images, and the soft-to-hard projection gap.

For a text → image model, the harness regenerates images from what the inverter recovered: ``image``
from the hard prompt, ``soft_image`` from the soft embeddings (when there are any). With a judge
CLIP's image encoder :math:`E` (the same judges as :mod:`invbench.metrics.clip_score`), each image
is compared with the target's ``reference_image`` :math:`y` by the cosine of its embedding, in
float64:

.. math::
    \cos(a, y) = \frac{E(a) \cdot E(y)}{\lVert E(a) \rVert \, \lVert E(y) \rVert}

**CLIP image similarity** (higher is better, in [-1, 1]):

.. math::
    \mathrm{CLIPImageSimilarity} = \cos(x_{hard}, y)

**Projection gap** (lower is better, in [-2, 2]): how much the soft prompt achieves that its
nearest-token projection (the hard prompt) does not,

.. math::
    \mathrm{ProjectionGap} = \cos(x_{soft}, y) - \cos(x_{hard}, y)

A large positive gap means the soft embeddings reach the target through directions no token
expresses: the prompt is less interpretable. Its second term is exactly
:class:`CLIPImageSimilarity`'s value for the item (each image is embedded alone, a batch of one).

Images must already be the judge's input size (64×64 for mini-CLIP): nothing is resized. Items
without a reference image (and, for the gap, without a soft image) are not scored (``{}``).

Example:
    >>> import torch
    >>> from invbench.contracts.media import Image
    >>> from invbench.metrics.clip_image_similarity import CLIPImageSimilarity, ProjectionGap
    >>> from invbench.metrics.clip_score import RandomProjectionJudge
    >>> judge = RandomProjectionJudge(seed=0)
    >>> ramp = torch.linspace(0.0, 1.0, 64).expand(3, 64, 64)
    >>> reference, image = Image(ramp), Image(ramp.flip(-1))
    >>> similarity = CLIPImageSimilarity(judge=judge)
    >>> same = similarity.score_item(image=reference, reference_image=reference)
    >>> round(same["clip_image_similarity"], 9)
    1.0
    >>> similarity.score_item(image=image, reference_image=reference)["clip_image_similarity"] < 1
    True
    >>> gap = ProjectionGap(judge=judge)
    >>> gap.score_item(soft_image=reference, image=image, reference_image=reference)[
    ...     "projection_gap"] > 0  # the soft prompt's image is closer than the hard prompt's
    True
    >>> gap.score_item(soft_image=image, image=image, reference_image=reference)
    {'projection_gap': 0.0}
    >>> gap.score_item(soft_image=None, image=image, reference_image=reference)  # no soft prompt
    {}
    >>> similarity.signature()
    'clip_image_similarity|model:random-projection|sha256:...|dtype:float64|version:1'
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from invbench.contracts.media import Image
from invbench.contracts.metric import MetricInputError, MetricOutput
from invbench.metrics.clip_score import JudgedMetric, judge_image, judge_name


def _embedding(judge: Any, image: Any, field: str) -> np.ndarray:
    """The judge's float64 embedding of one image; errors name ``field``."""
    try:
        embedding = judge_image(judge, image)
    except MetricInputError as exc:  # judge_image's messages say "image ...": name the field
        message = str(exc)
        if message.startswith("image "):
            message = field + message[5:]
        raise MetricInputError(message) from None
    norm = float(np.linalg.norm(embedding))
    if not np.isfinite(norm) or norm == 0.0:
        raise MetricInputError(f"the judge embeds {field} as a zero or non-finite vector")
    return embedding / norm


def reference_cosines(judge: Any, reference_image: Any, **images: Any) -> dict[str, float]:
    """``{field: cos(E(image), E(reference_image))}`` for each keyword image, in float64.

    The reference is embedded once; each image alone (a batch of one), so equal images get
    bit-identical cosines."""
    reference = _embedding(judge, reference_image, "reference_image")
    return {
        field: float(np.clip(_embedding(judge, image, field) @ reference, -1.0, 1.0))
        for field, image in images.items()
    }


class _JudgedImageMetric(JudgedMetric):
    """A metric on judge-CLIP image embeddings; the judge is loaded on first use."""

    reference: ClassVar[str] = "torchmetrics"

    def settings(self) -> dict[str, Any]:
        judge = self.judge
        return {
            "model": judge_name(judge, self.model),
            "sha256": judge.weights_sha256[:12],
            "dtype": "float64",
        }


class CLIPImageSimilarity(_JudgedImageMetric):
    """Cosine of the judge CLIP's embeddings of the regenerated image and the reference image."""

    name: ClassVar[str] = "clip_image_similarity"
    description: ClassVar[str] = "cos(judge emb. of the regenerated image, of the reference image)"
    requires: ClassVar[tuple[str, ...]] = ("image", "reference_image")
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput(
            "clip_image_similarity",
            True,
            (-1.0, 1.0),
            "cosine of judge-CLIP image embeddings: image from the hard prompt vs the reference",
        ),
    )

    def score_item(
        self, image: Image | None, reference_image: Image | None = None, **_: Any
    ) -> dict[str, float]:
        # No image: e.g. the soft-embedding regeneration (``fields: {image: soft_image}``) of an
        # inverter that returned hard tokens only. Not scored, like a missing reference.
        if image is None or reference_image is None:
            return {}
        cosines = reference_cosines(self.judge, reference_image, image=image)
        return {"clip_image_similarity": cosines["image"]}


class ProjectionGap(_JudgedImageMetric):
    """cos(soft_image, reference) − cos(image, reference): what projection to tokens loses."""

    name: ClassVar[str] = "projection_gap"
    description: ClassVar[str] = (
        "judge-CLIP cosine to the reference of the soft-prompt image minus the hard-prompt image's"
    )
    requires: ClassVar[tuple[str, ...]] = ("soft_image", "image", "reference_image")
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput(
            "projection_gap",
            False,
            (-2.0, 2.0),
            "cos(soft_image, reference) - cos(image, reference); large: soft prompt not "
            "expressible by its nearest tokens",
        ),
    )

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "gap": "soft-minus-hard"}

    def score_item(
        self,
        soft_image: Image | None,
        image: Image,
        reference_image: Image | None = None,
        **_: Any,
    ) -> dict[str, float]:
        if soft_image is None or reference_image is None:
            return {}
        cosines = reference_cosines(self.judge, reference_image, soft_image=soft_image, image=image)
        return {"projection_gap": cosines["soft_image"] - cosines["image"]}
