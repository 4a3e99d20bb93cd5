"""The Shapes-world text-to-image generator wrapped for inversion (prompt → 64×64 image).

A prompt's content tokens are embedded with all-MiniLM-L6-v2's input table, framed by MiniLM's
``[CLS]``/``[SEP]`` rows, encoded by the frozen MiniLM into token states, and turned into an image
by the mini-zoo rectified flow (``invbench.models.zoo.generator_net``) sampled in a few Euler steps
from noise fixed by ``seed``. Hard prompts and soft prompts take the same path (a hard prompt is
the table rows of its tokens), so a soft prompt equal to a caption's rows regenerates exactly the
caption's image, and the objective is differentiable back to the input embeddings.

Example (needs the shipped weights)::

    model = ShapesGenerator("generator")
    [image] = model.run([Text("a large red circle on a black background")])
    image.pixels.shape  # (3, 64, 64), values in [0, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from invbench.contracts.errors import InvbenchError
from invbench.contracts.forward_model import ObjectiveResult
from invbench.contracts.media import Image
from invbench.contracts.text_input import Text, TextInputModel, check_soft_embeddings
from invbench.models.target_payload import target_field
from invbench.models.zoo.generator_net import (
    ARCHITECTURE,
    GeneratorConfig,
    GeneratorNet,
    initial_noise,
    sample,
)
from invbench.models.zoo.minilm_prompts import MiniLMPrompts
from invbench.models.zoo.weights import ZooNetwork

SUCCESS_MSE = 1e-4  # mean squared pixel error (PSNR 40 dB): the target image, up to rounding


class ShapesGenerator(ZooNetwork, MiniLMPrompts, TextInputModel):
    """A mini-zoo generator (``name``: zoo name or folder) sampled from the noise of ``seed``."""

    output_modality = "image"

    def __init__(self, name: str = "generator", seed: int = 0, device: str = "cpu") -> None:
        super().__init__()
        self._load_network(
            name, ARCHITECTURE, lambda c: GeneratorNet(GeneratorConfig.from_dict(c)), device,
            "shapes-generator",
        )
        self.seed = int(seed)
        self._use_minilm(self._device)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info.update(
            **self.zoo_facts(),
            noise_seed=self.seed,
            sampler=f"Euler, {self.net.config.sample_steps} steps, bicubic 32->64",
            text_encoder={"name": "all-MiniLM-L6-v2", "weights_sha256": self.minilm.weights_sha256},
            objective={
                "loss": "mean squared pixel error to the target image, per item",
                "success": f"mean squared error <= {SUCCESS_MSE}",
            },
        )
        return info

    # ------------------------------------------------------------------ generation

    def generate(self, content: Tensor) -> Tensor:
        """``(B, 3, 64, 64)`` images in [0, 1] from content-token embeddings ``(B, L, D)``
        (differentiable with respect to ``content``)."""
        table = self.minilm.token_embeddings
        tokenizer = self.minilm.tokenizer
        b = content.shape[0]
        cls = table[tokenizer.cls_token_id].expand(b, 1, -1)
        sep = table[tokenizer.sep_token_id].expand(b, 1, -1)
        embeds = torch.cat([cls, content.to(self._device, table.dtype), sep], dim=1)
        mask = torch.ones(embeds.shape[:2], dtype=torch.long, device=self._device)
        states = self.minilm.model(inputs_embeds=embeds, attention_mask=mask).last_hidden_state
        noise = initial_noise(self.seed, b, self.net.config.resolution).to(self._device)
        return sample(self.net, states, mask.bool(), noise)

    def _run(self, inputs: Sequence[Text]) -> list[Image]:
        return self._run_from_embeddings(self.prompt_embeddings(inputs, "the generator"))

    def _run_from_embeddings(self, prompts: Sequence[Tensor]) -> list[Image]:
        # One item at a time: an image never depends on its batch-mates, not even numerically.
        out = []
        for soft in prompts:
            soft = check_soft_embeddings(soft, self.input_spec)
            out.append(Image(self.generate(soft[None].float())[0].cpu()))
        return out

    def _objective(self, x: Tensor, targets: Sequence[Any], **options: Any) -> ObjectiveResult:
        """Per-item mean squared pixel error between the image generated from the soft prompts
        ``x`` ``(B, L, D)`` and the target images; ``success`` once it is at most
        ``SUCCESS_MSE``. Targets are :class:`Image` or objects whose payload has ``"image"``."""
        self.check_objective_input(x, targets, options, "the generator")
        wanted = torch.stack([_target_pixels(t) for t in targets]).to(self._device)
        images = self.generate(x)
        loss = (images - wanted).pow(2).mean(dim=(1, 2, 3))
        return ObjectiveResult(loss=loss, success=loss.detach() <= SUCCESS_MSE)


def _target_pixels(target: Any) -> Tensor:
    image = target_field(target, "image")
    if not isinstance(image, Image):
        raise InvbenchError(f"a generator target must be an Image, got {type(image).__name__}")
    return image.pixels.float()
