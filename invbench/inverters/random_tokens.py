"""``random-tokens``: seeded random allowed tokens — the floor of prompt recovery.

Each item draws ``length`` allowed token ids from its own seeded generator (the same draw the
prompt optimisers start from), so results do not depend on batching. No optimisation, no soft
embeddings.
"""

from __future__ import annotations

from pydantic import Field

from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter, InverterConfig
from invbench.contracts.text_input import Text
from invbench.inverters.prompt_loop import prompt_length, random_prompt_ids, text_model


class RandomTokensConfig(InverterConfig):
    length: int = Field(16, ge=1)  # content tokens; capped by the model's max_tokens


class RandomTokens(BaseInverter):
    name = "random-tokens"
    version = "1"
    families = ("generator", "tts")
    description = "Floor: seeded random allowed tokens, no optimisation"
    Config = RandomTokensConfig

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        forward = text_model(problem, self.name)
        length = prompt_length(forward, self.settings.length)
        inversions = []
        for i in range(len(problem)):
            ids = random_prompt_ids(problem, i, length)
            inversions.append(Inversion(x=Text(forward.detokenize(ids)), token_ids=ids))
        return inversions
