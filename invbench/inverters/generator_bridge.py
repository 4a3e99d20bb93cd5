"""``generator-bridge``: render the target caption with a text-to-image generator.

The cross-model baseline of the ``captioner`` family: no optimisation against the captioner at
all, only a generator (a mini-zoo Shapes generator, ``generator``: zoo name or folder, sampled
from the noise of ``seed``) drawing each target caption. Scoring captions the drawing, so this
measures how far a plain text→image model gets at producing an image the captioner describes
as the target.
"""

from __future__ import annotations

from typing import Any

from invbench.contracts.errors import InvbenchError
from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter, InverterConfig
from invbench.contracts.text_input import Text
from invbench.inverters.on_first_problem import OnFirstProblem
from invbench.models.zoo.shapes_generator import ShapesGenerator


class GeneratorBridgeConfig(InverterConfig):
    generator: str = "generator"  # a mini-zoo generator name or folder
    seed: int = 0  # the generator's noise seed


class GeneratorBridge(BaseInverter):
    name = "generator-bridge"
    version = "1"
    families = ("captioner",)
    description = "Cross-model baseline: the Shapes generator's drawing of the target caption"
    Config = GeneratorBridgeConfig

    def __init__(self, **overrides: Any) -> None:
        super().__init__(**overrides)
        self.generator = OnFirstProblem(
            lambda device: ShapesGenerator(self.settings.generator, self.settings.seed, device)
        )

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        generator = self.generator(problem)
        inversions = []
        for target in problem.targets:
            caption = target.payload.get("text")
            if not isinstance(caption, str):
                raise InvbenchError(
                    f"{self.name} needs a caption under payload['text'] of target {target.id}, "
                    f"got {type(caption).__name__}"
                )
            [image] = generator.run([Text(caption)])
            inversions.append(
                Inversion(x=image, info={"generator": generator.model_id, "prompt": caption})
            )
        return inversions
