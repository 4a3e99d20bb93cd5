"""Budgets: forward calls and seconds per target are enforced by the harness."""

import time

import pytest
import torch

from invbench.contracts import (
    AudioSpec,
    Budget,
    BudgetExhausted,
    ForwardModel,
    InversionProblem,
    ObjectiveResult,
    Target,
)
from invbench.harness.hard_timeout import hard_timeout
from invbench.inverters.waveform_adam import WaveformAdam


class Quadratic(ForwardModel):
    """A stand-in model whose loss never reaches its target, so only budgets stop an inverter."""

    model_id = "quadratic"
    input_modality = "audio"
    output_modality = "text"
    input_spec = AudioSpec(sample_rate=100, max_seconds=30.0)

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay = delay

    @property
    def weights_sha256(self) -> str:
        return "0" * 64

    def _run(self, inputs):
        return ["" for _ in inputs]

    def _objective(self, x, targets, **options):
        time.sleep(self.delay)
        loss = ((x - 2.0) ** 2).mean(dim=1)
        return ObjectiveResult(loss=loss, success=torch.zeros(len(targets), dtype=torch.bool))


def _problem(model, budget):
    return InversionProblem(task="t", family="asr", targets=[Target("a", {"text": "one two"})],
                            forward=model, budget=budget, seed=0)


@pytest.mark.parametrize(("max_steps", "max_calls", "expected_steps"),
                         [(5, None, 5), (50, 7, 7), (3, 7, 3)])
def test_steps_and_forward_calls_cap_the_inverter(max_steps, max_calls, expected_steps):
    model = Quadratic()
    budget = Budget(max_steps=max_steps, max_forward_calls=max_calls)
    inversion = WaveformAdam(steps=100, encoder_frames="full").invert(_problem(model, budget))[0]
    assert inversion.steps == expected_steps
    assert model.calls.forward == expected_steps
    assert model.calls.backward == expected_steps
    if max_calls is not None:
        assert model.calls.forward <= max_calls


def test_seconds_budget_stops_the_inverter():
    model = Quadratic(delay=0.05)
    inversion = WaveformAdam(steps=1000, encoder_frames="full").invert(
        _problem(model, Budget(max_steps=1000, max_seconds=0.3)))[0]
    assert 2 <= inversion.steps < 20


def test_hard_timeout_interrupts_a_stuck_call():
    start = time.monotonic()
    with pytest.raises(BudgetExhausted, match="hard time limit"), hard_timeout(0.3):
        time.sleep(5)
    assert time.monotonic() - start < 2
