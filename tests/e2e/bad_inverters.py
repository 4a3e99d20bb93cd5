"""Inverters that misbehave on purpose, loaded with --inverter-path in the tests."""

import torch

from invbench import BaseInverter, Image, Inversion, Waveform, register_inverter


class _Bad(BaseInverter):
    families = ("asr",)

    def make(self, i: int) -> Inversion:
        raise NotImplementedError

    def invert(self, problem):
        return [self.make(i) for i in range(len(problem.targets))]


@register_inverter("bad-nan")
class NaNAudio(_Bad):
    name = "bad-nan"

    def make(self, i):
        x = torch.zeros(16000)
        x[100] = float("nan")
        return Inversion(x=Waveform(x, 16000))


@register_inverter("bad-shape")
class WrongShape(_Bad):
    name = "bad-shape"

    def make(self, i):
        return Inversion(x=Waveform(torch.zeros(2, 16000), 16000))


@register_inverter("bad-rate")
class WrongRate(_Bad):
    name = "bad-rate"

    def make(self, i):
        return Inversion(x=Waveform(torch.zeros(8000), 8000))


@register_inverter("bad-raise")
class Raises(_Bad):
    name = "bad-raise"

    def invert(self, problem):
        raise RuntimeError("deliberate failure\nwith a second line")


@register_inverter("bad-second-item")
class SecondItemNaN(_Bad):
    """Only the second target is broken: the first must still be scored."""

    name = "bad-second-item"

    def make(self, i):
        x = torch.randn(16000, generator=torch.Generator().manual_seed(i)) * 0.05
        if i == 1:
            x[0] = float("inf")
        return Inversion(x=Waveform(x, 16000))


@register_inverter("bad-sleep")
class IgnoresItsBudget(_Bad):
    """Never checks out_of_budget: the harness must stop it."""

    name = "bad-sleep"

    def invert(self, problem):
        import time

        time.sleep(120)
        return []


@register_inverter("bad-over-budget")
class OverBudget(BaseInverter):
    """Claims 3 steps but calls the objective 25 times: the harness must record over_budget."""

    name = "bad-over-budget"
    families = ("captioner",)
    calls = 25

    def invert(self, problem):
        spec = problem.forward.input_spec
        x = torch.full((len(problem.targets), spec.channels, spec.height, spec.width), 0.5)
        texts = [t.payload["text"] for t in problem.targets]
        for _ in range(self.calls):
            problem.forward.objective(x, texts)
        return [Inversion(x=Image(x[i]), steps=3) for i in range(len(problem.targets))]
