"""The model handle a ``query-only`` inverter is given: ``run`` and a description, nothing more.

A white-box inverter gets the forward model itself (``objective``, gradients, a text model's
token table). A query-only inverter is a black-box attack: it may only submit inputs and read
the outputs, as a user of a hosted model could. The harness hands it a ``QueryOnlyModel`` as
``problem.forward``, which counts every input passed to ``run`` as one query and refuses a query
past the task's budget with ``BudgetExhausted`` (the item is then recorded as ``timeout``).

The query budget per target is ``Budget.max_forward_calls`` when the task sets it, else
``Budget.max_steps`` (one query per step: a query-only method spends its budget in model
calls, the only thing it can do). A batch of ``n`` targets shares ``n`` times that, as the
white-box forward-call budget does; well-behaved inverters read ``queries_left`` and stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from invbench.contracts.errors import BudgetExhausted
from invbench.contracts.forward_model import CallCounter, ForwardModel

OFFERED = ("run", "describe", "model_id", "input_modality", "output_modality", "input_spec",
           "calls", "query_limit", "queries_used", "queries_left")  # fmt: skip


class QueryOnlyModel:
    """``run`` on a forward model, counted and capped; every other attribute is refused."""

    __slots__ = ("__model", "__limit", "__used")

    def __init__(self, model: ForwardModel, query_limit: int | None) -> None:
        self.__model = model
        self.__limit = query_limit
        self.__used = 0

    @property
    def model_id(self) -> str:
        return self.__model.model_id

    @property
    def input_modality(self) -> str:
        return self.__model.input_modality

    @property
    def output_modality(self) -> str:
        return self.__model.output_modality

    @property
    def input_spec(self) -> Any:
        return self.__model.input_spec

    @property
    def calls(self) -> CallCounter:
        """A copy of the model's pass counter (what ``InversionProblem.out_of_budget`` reads)."""
        return CallCounter(*self.__model.calls.snapshot())

    @property
    def query_limit(self) -> int | None:
        """Queries this batch may make in all (None: unbounded)."""
        return self.__limit

    @property
    def queries_used(self) -> int:
        return self.__used

    @property
    def queries_left(self) -> int | None:
        return None if self.__limit is None else max(self.__limit - self.__used, 0)

    def describe(self) -> dict[str, Any]:
        return self.__model.describe()

    def run(self, inputs: Sequence[Any]) -> list[Any]:
        """The model's outputs for ``inputs`` (no gradients); each input is one query."""
        wanted = len(inputs)
        if self.__limit is not None and self.__used + wanted > self.__limit:
            raise BudgetExhausted(
                f"query budget exhausted: {wanted} more queries after {self.__used} of "
                f"{self.__limit} allowed for this batch"
            )
        self.__used += wanted
        return self.__model.run(inputs)

    def __getattr__(self, name: str) -> Any:
        # only reached for names the handle does not define: objective, token_embeddings, ...
        raise AttributeError(
            f"{name!r} is not available to a query-only inverter; its model handle offers only "
            f"{', '.join(OFFERED)}"
        )

