"""The optimisation loop shared by the prompt inverters (``soft-prompt``, ``pez``).

A prompt is an ``(L, D)`` tensor of content-token embeddings of a :class:`TextInputModel`. Each
item owns its prompt and its optimiser, gets its own objective call every step (so its
trajectory is bit-identical whatever the batch size and batch-mates), keeps its best step by
loss, and stops once the objective reports success. Everything here goes through the
text-input contract only: the same loop serves every text-input family.

Two ways to measure a prompt ``P`` at a step:

- ``at_projection=False`` (soft prompts): the objective is evaluated at ``P`` itself;
- ``at_projection=True`` (projected gradients, PEZ): the objective is evaluated at the table rows
  of ``P``'s nearest allowed tokens, and the gradient taken there is applied to ``P``.

The measured point's nearest allowed tokens (:func:`nearest_tokens`, the benchmark's one
projection) are the hard prompt an inverter returns.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import torch
from pydantic import Field

from invbench.contracts.errors import InvbenchError
from invbench.contracts.inversion import Inversion, InversionProblem, Target
from invbench.contracts.inverter import InverterConfig
from invbench.contracts.text_input import Text, TextInputModel, nearest_tokens
from invbench.inverters.item_trace import BestSoFar, ItemTrace, item_steps


class PromptOptimisationConfig(InverterConfig):
    """Settings shared by the inverters that optimise prompts against a text-input objective."""

    steps: int = Field(200, ge=0)
    length: int = Field(16, ge=1)  # content tokens; capped by the model's max_tokens
    lr: float = Field(0.01, gt=0)
    # "random-tokens": the table rows of ``length`` random allowed tokens, drawn per item from
    # ``problem.generator(i)`` (the same draw as the random-tokens inverter)
    init: Literal["random-tokens"] = "random-tokens"


def text_model(problem: InversionProblem, inverter: str) -> TextInputModel:
    """The problem's forward model, checked to be a text-input model."""
    forward = problem.forward
    if not isinstance(forward, TextInputModel):
        raise InvbenchError(
            f"{inverter} inverts text-input models; {problem.task} has a "
            f"{type(forward).__name__}, which takes {getattr(forward, 'input_modality', '?')}"
        )
    return forward


def prompt_length(forward: TextInputModel, wanted: int) -> int:
    """``wanted`` content tokens, capped by what the model accepts."""
    return max(1, min(wanted, forward.input_spec.max_tokens))


def random_prompt_ids(problem: InversionProblem, index: int, length: int) -> list[int]:
    """``length`` allowed token ids drawn uniformly (with replacement) from item ``index``'s RNG."""
    forward: TextInputModel = problem.forward  # type: ignore[assignment]
    allowed = torch.nonzero(forward.prompt_token_mask.detach().cpu().bool()).flatten()
    if allowed.numel() == 0:
        raise InvbenchError("the model's prompt_token_mask allows no token")
    picks = torch.randint(len(allowed), (length,), generator=problem.generator(index))
    return [int(i) for i in allowed[picks]]


@dataclass
class PromptItem:
    """One item's outcome: the continuous prompt and hard ids of its best step, and its trace."""

    soft: torch.Tensor  # (L, D) on the CPU: the continuous prompt at the best step
    ids: list[int]  # nearest allowed tokens of ``soft`` (the hard prompt measured, for PEZ)
    best_loss: float | None  # None when no step was measured (zero budget)
    best_step: int | None  # 1-based
    reached_target: bool  # the best step's objective reported success
    trace: ItemTrace = field(default_factory=ItemTrace)


@dataclass
class _Best:
    """An item's best step so far: its loss, 1-based step, success and measured prompt."""

    loss: float
    step: int
    success: bool
    soft: torch.Tensor
    ids: list[int] | None  # the hard prompt measured (PEZ); None when ``soft`` itself was


@dataclass
class _State:
    prompt: torch.Tensor
    optimizer: torch.optim.Optimizer
    trace: ItemTrace = field(default_factory=ItemTrace)
    # (not success, loss): a success beats any failure, then the lower loss, the earlier on ties
    best: BestSoFar[_Best] = field(default_factory=BestSoFar)


OptimiserFactory = Callable[[list[torch.Tensor]], torch.optim.Optimizer]


def _step(
    s: _State,
    forward: TextInputModel,
    target: Target,
    table: torch.Tensor,
    allowed: torch.Tensor,
    at_projection: bool,
) -> None:
    """One measured step of one item; an item that succeeded (or diverged) stops un-updated."""
    s.optimizer.zero_grad(set_to_none=True)
    ids: list[int] | None = None
    if at_projection:
        nearest, _ = nearest_tokens(s.prompt, table, allowed)
        ids = [int(t) for t in nearest]
        x = table[nearest].clone().requires_grad_(True)
    else:
        x = s.prompt
    result = forward.objective(x[None], [target])
    value, success = float(result.loss[0].detach()), bool(result.success[0])
    s.trace.record(value, success)
    if math.isfinite(value):
        s.best.offer(
            (not success, value),
            lambda: _Best(value, s.trace.steps, success, s.prompt.detach().clone(), ids),
        )
    if s.trace.stop_if(success):
        return
    result.loss.sum().backward()
    if at_projection:
        s.prompt.grad = x.grad  # the gradient taken at the projection moves the soft prompt
    s.optimizer.step()


def _outcome(s: _State, table: torch.Tensor, allowed: torch.Tensor) -> PromptItem:
    """The item's best step, or its current prompt when no finite step was measured."""
    best = s.best.value
    soft = best.soft if best is not None else s.prompt.detach().clone()
    ids = best.ids if best is not None else None
    if ids is None:
        ids = [int(t) for t in nearest_tokens(soft, table, allowed)[0]]
    return PromptItem(
        soft=soft.cpu(),
        ids=ids,
        best_loss=best.loss if best is not None else None,
        best_step=best.step if best is not None else None,
        reached_target=best.success if best is not None else False,
        trace=s.trace,
    )


def optimise_prompts(
    problem: InversionProblem,
    cfg: PromptOptimisationConfig,
    make_optimizer: OptimiserFactory,
    at_projection: bool,
    inverter: str,
) -> list[PromptItem]:
    """Optimise one prompt per target against ``problem.forward.objective``.

    Steps follow :func:`~invbench.inverters.item_trace.item_steps` (capped by
    ``problem.max_steps(cfg.steps)``, ended by ``problem.out_of_budget()``). An item stops at its
    first successful step (or a non-finite loss) without updating. A successful step beats any
    unsuccessful one; among equals the lower loss wins (the earlier step on ties).
    """
    forward = text_model(problem, inverter)
    table = forward.token_embeddings.detach().to(problem.device, torch.float32)
    allowed = forward.prompt_token_mask.detach().to(problem.device).bool()
    length = prompt_length(forward, cfg.length)
    states = []
    for i in range(len(problem)):
        start = torch.as_tensor(random_prompt_ids(problem, i, length), device=problem.device)
        prompt = table[start].clone().requires_grad_(True)
        states.append(_State(prompt, make_optimizer([prompt])))
    for active in item_steps(problem, cfg.steps, [s.trace for s in states]):
        for i in active:
            _step(states[i], forward, problem.targets[i], table, allowed, at_projection)
    return [_outcome(s, table, allowed) for s in states]


def prompt_inversion(forward: TextInputModel, item: PromptItem) -> Inversion:
    """The :class:`Inversion` of an optimised prompt: ``x`` is the text of its hard ids,
    ``soft_embeddings`` the continuous prompt of the best step, and ``info`` the best loss, the
    mean cosine of the continuous prompt to its nearest tokens and whether the text
    re-tokenizes to exactly the hard ids."""
    text = forward.detokenize(item.ids)
    table = forward.token_embeddings.detach().float().cpu()
    allowed = forward.prompt_token_mask.detach().cpu().bool()
    _, cosines = nearest_tokens(item.soft, table, allowed)
    return Inversion(
        x=Text(text),
        soft_embeddings=item.soft,
        token_ids=list(item.ids),
        steps=item.trace.steps,
        loss_trace=list(item.trace.losses),
        info={
            "best_loss": item.best_loss,
            "best_step": item.best_step,
            "reached_target": item.reached_target,
            "stopped_early": item.trace.done,
            "first_success_step": item.trace.first_success,
            "length": len(item.ids),
            "nearest_cosine_mean": float(cosines.mean()),
            "retokenizes_exactly": forward.tokenize([text])[0] == list(item.ids),
        },
    )
