"""``pez``: hard prompts by projected gradients (Wen et al. 2023, "Hard Prompts Made Easy").

A continuous prompt ``P`` is kept; every step it is projected onto its nearest allowed tokens,
the objective and its gradient are taken *at the projection*, and that gradient updates ``P``
(AdamW, the paper's lr 0.1 and weight decay 0.1). The best projected prompt by loss is the
result: ``x`` is its text, ``token_ids`` its ids, and ``soft_embeddings`` the continuous ``P``
of the step whose projection it was (so its nearest tokens are exactly ``token_ids``).

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


class PEZConfig(PromptOptimisationConfig):
    lr: float = Field(0.1, gt=0)  # AdamW step size on the continuous prompt (the paper's)
    weight_decay: float = Field(0.1, ge=0)  # AdamW decoupled weight decay (the paper's)


class PEZ(BaseInverter):
    name = "pez"
    version = "1"
    families = ("generator", "tts")
    description = "PEZ: projected-gradient hard prompts (AdamW, gradient at the nearest tokens)"
    Config = PEZConfig

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        cfg: PEZConfig = self.settings
        forward = text_model(problem, self.name)
        items = optimise_prompts(
            problem,
            cfg,
            lambda params: torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay),
            at_projection=True,
            inverter=self.name,
        )
        return [prompt_inversion(forward, item) for item in items]
