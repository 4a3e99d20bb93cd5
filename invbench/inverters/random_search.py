"""``random-search``: a query-only baseline for the captioner family (black-box, ``run`` only).

It never sees a gradient, a loss or the weights: its ``problem.forward`` is a
``QueryOnlyModel`` that returns captions and counts every image it is shown. Starting from the
task's carrier (the natural render of another target; uniform noise when the task offers
none, or with ``start="noise"``), each round it queries ``population`` mutants of its current
image — each with one random square block painted one random colour — and moves to the best
mutant whose caption overlaps the target's words at least as well as the current caption does
(ties move too, so the search drifts across plateaus instead of stalling on them). An item stops
when its caption equals the target or its queries are spent: ``min(queries,
budget.queries_per_target())`` per target, the start image's query included.

Word overlap is the mean of the unigram and bigram F1 between caption and target words. Each
item draws from its own seeded generator and is queried in its own ``run`` calls, so its result
does not depend on its batch-mates.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Literal

import torch
from pydantic import Field

from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter, InverterConfig
from invbench.contracts.media import Image, ImageSpec


class RandomSearchConfig(InverterConfig):
    # per target, capped by the task's query budget; 32 keeps captioner/mini to 1 536 captions
    # (37 s of searching for its 48 targets on 2 busy CPU cores) and still lifts most starts
    queries: int = Field(32, ge=1)
    population: int = Field(8, ge=1)  # mutants queried together each round
    min_block: int = Field(8, ge=1)  # side of a painted square, in pixels (objects: 12 and 20)
    max_block: int = Field(32, ge=1)
    start: Literal["carrier", "noise"] = "carrier"


def _f1(hyp: Counter, ref: Counter) -> float:
    common = sum((hyp & ref).values())
    if not common:
        return 0.0
    precision, recall = common / sum(hyp.values()), common / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def word_overlap(caption: str, target: str) -> float:
    """Mean of unigram and bigram F1 between the words of ``caption`` and ``target`` (1: same
    words in the same local order)."""
    hyp, ref = caption.split(), target.split()
    scores = [_f1(Counter(zip(*(hyp[k:] for k in range(n)), strict=False)),
                  Counter(zip(*(ref[k:] for k in range(n)), strict=False))) for n in (1, 2)]
    return sum(scores) / 2


@dataclass
class _Search:
    """One item's search: its current image and caption, and what it has spent."""

    x: torch.Tensor
    target: str
    generator: torch.Generator
    caption: str = ""
    overlap: float = 0.0
    start_overlap: float = 0.0
    queries: int = 0
    moves: int = 0
    done: bool = False


def _mutate(x: torch.Tensor, spec: ImageSpec, cfg: RandomSearchConfig,
            g: torch.Generator) -> torch.Tensor:
    """A copy of ``x`` with one random square painted one random colour."""
    low, high = spec.value_range
    largest = max(1, min(cfg.max_block, spec.height, spec.width))
    side = int(torch.randint(min(cfg.min_block, largest), largest + 1, (1,), generator=g))
    top = int(torch.randint(0, spec.height - side + 1, (1,), generator=g))
    left = int(torch.randint(0, spec.width - side + 1, (1,), generator=g))
    colour = low + (high - low) * torch.rand(spec.channels, generator=g)
    y = x.clone()
    y[:, top:top + side, left:left + side] = colour[:, None, None]
    return y


class RandomSearch(BaseInverter):
    name = "random-search"
    version = "1"
    families = ("captioner",)
    access = "query-only"
    description = ("query-only: random block mutations of a carrier image, kept when the "
                   "caption's word overlap with the target does not drop")
    Config = RandomSearchConfig

    def _start(self, problem: InversionProblem, i: int) -> _Search:
        """Item ``i``'s search, at its carrier or at noise drawn from its own generator."""
        spec: ImageSpec = problem.forward.input_spec
        g = problem.generator(i)
        if self._from_carrier(problem):
            x = problem.carriers[i].pixels.detach().float().cpu().clone()
        else:
            low, high = spec.value_range
            x = low + (high - low) * torch.rand((spec.channels, spec.height, spec.width),
                                                generator=g)  # fmt: skip
        return _Search(x, str(problem.targets[i].payload["text"]), g)

    def _round(self, problem: InversionProblem, item: _Search, size: int) -> None:
        """Query ``size`` mutants of the item's image and move to the best one if it is not
        worse; ``size`` 0 queries the current image itself (the start)."""
        spec: ImageSpec = problem.forward.input_spec
        candidates = [_mutate(item.x, spec, self.settings, item.generator) for _ in range(size)]
        candidates = candidates or [item.x]
        captions = problem.forward.run([Image(c) for c in candidates])
        item.queries += len(candidates)
        overlaps = [word_overlap(c, item.target) for c in captions]
        best = max(range(len(candidates)), key=overlaps.__getitem__)
        if size == 0 or overlaps[best] >= item.overlap:
            item.moves += size > 0
            item.x, item.caption, item.overlap = candidates[best], captions[best], overlaps[best]
        item.done = item.caption.split() == item.target.split()

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        cfg: RandomSearchConfig = self.settings
        per_target = min(cfg.queries, problem.budget.queries_per_target())
        items = [self._start(problem, i) for i in range(len(problem))]
        rounds = 1 + math.ceil(max(per_target - 1, 0) / cfg.population) if per_target else 0
        for step in range(rounds):
            if problem.out_of_budget():
                break
            for item in items:
                if step == 0:
                    self._round(problem, item, 0)
                    item.start_overlap = item.overlap
                elif not item.done and (size := min(cfg.population, per_target - item.queries)):
                    self._round(problem, item, size)
            problem.progress(step + 1, rounds)
        return [Inversion(x=Image(item.x), steps=item.queries,
                          carrier=problem.carriers[i] if self._from_carrier(problem) else None,
                          info={"queries": item.queries, "moves": item.moves,
                                "start_overlap": item.start_overlap,
                                "final_overlap": item.overlap, "caption": item.caption})
                for i, item in enumerate(items)]

    def _from_carrier(self, problem: InversionProblem) -> bool:
        return self.settings.start == "carrier" and problem.carriers is not None
