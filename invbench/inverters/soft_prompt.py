"""``soft-prompt``: Adam on continuous token embeddings, then read the nearest tokens.

The method the paper applies to text-input models (arXiv 2507.23010): optimise a prompt of
``length`` content-token embeddings, started from random allowed tokens, against the model's
objective with Adam; the result is the best continuous prompt (``soft_embeddings``) and its
nearest allowed tokens (``token_ids``, and their text as ``x``). Scoring regenerates from both,
so the gap between them — how far the optimum sits from any real token — is measured.

Written once against :class:`~invbench.contracts.text_input.TextInputModel`: it serves every
text-input family without knowing which.
"""

from __future__ import annotations

import torch
from pydantic import Field

from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter
from invbench.inverters.prompt_loop import (
    PromptOptimisationConfig,
    optimise_prompts,
    prompt_inversion,
    text_model,
)


class SoftPromptConfig(PromptOptimisationConfig):
    # Adam step size, in embedding units (MiniLM's rows have norm ~1.1). At 0.01 the prompt
    # stays within the cosine neighbourhood of its random start, so its projection is just the
    # start; at 0.03 it travels and still fits the target (benchmarks/prompt_inversion.py).
    lr: float = Field(0.03, gt=0)


class SoftPrompt(BaseInverter):
    name = "soft-prompt"
    version = "1"
    families = ("generator", "tts")
    description = "Adam on soft token embeddings from random tokens; nearest tokens read back"
    Config = SoftPromptConfig

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        cfg: SoftPromptConfig = self.settings
        forward = text_model(problem, self.name)
        items = optimise_prompts(
            problem,
            cfg,
            lambda params: torch.optim.Adam(params, lr=cfg.lr),
            at_projection=False,
            inverter=self.name,
        )
        return [prompt_inversion(forward, item) for item in items]
