"""``captioner-bridge``: caption the target image and use the caption as the prompt.

The cross-model baseline of the ``generator`` family: no optimisation against the generator at
all, only a captioner (a mini-zoo Shapes captioner, ``captioner``: zoo name or folder) describing
each target image. Scoring regenerates from the caption, so this measures how far a plain
image→text model gets at recovering a prompt.
"""

from __future__ import annotations

from typing import Any

from invbench.contracts.errors import InvbenchError
from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter, InverterConfig
from invbench.contracts.media import Image
from invbench.contracts.text_input import Text
from invbench.inverters.on_first_problem import OnFirstProblem
from invbench.inverters.prompt_loop import text_model
from invbench.models.zoo.shapes_captioner import ShapesCaptioner


class CaptionerBridgeConfig(InverterConfig):
    captioner: str = "captioner"  # a mini-zoo captioner name or folder


class CaptionerBridge(BaseInverter):
    name = "captioner-bridge"
    version = "1"
    families = ("generator",)
    description = "Cross-model baseline: a Shapes captioner's caption of the target as the prompt"
    Config = CaptionerBridgeConfig

    def __init__(self, **overrides: Any) -> None:
        super().__init__(**overrides)
        self.captioner = OnFirstProblem(
            lambda device: ShapesCaptioner(self.settings.captioner, device=device)
        )

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        forward = text_model(problem, self.name)
        captioner = self.captioner(problem)
        inversions = []
        for target in problem.targets:
            image = target.payload.get("image")
            if not isinstance(image, Image):
                raise InvbenchError(
                    f"{self.name} needs an Image under payload['image'] of target {target.id}, "
                    f"got {type(image).__name__}"
                )
            # one image per call: a caption never depends on its batch-mates
            [caption] = captioner.run([image])
            inversions.append(
                Inversion(
                    x=Text(caption),
                    token_ids=forward.tokenize([caption])[0],
                    info={"captioner": captioner.model_id},
                )
            )
        return inversions
