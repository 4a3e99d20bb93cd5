"""The mini-zoo recipes' shared training loop: validation schedule, time cap, what a step does."""

import torch

from invbench.recipes.training_loop import Optimiser, adamw, run_training, training_session


def _toy() -> tuple[torch.nn.Linear, Optimiser, list[float]]:
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 1)
    rates: list[float] = []

    def rate(step: int) -> float:
        rates.append(0.1 / (step + 1))
        return rates[-1]

    return net, Optimiser(net, adamw(net, 0.1, 0.0), rate, grad_clip=1.0), rates


def _loss(net: torch.nn.Module):
    x = torch.ones(4, 3)
    return lambda step: (net(x).pow(2).mean(), {"step": str(step)})


def test_validates_every_val_every_steps_and_after_the_last() -> None:
    net, optimiser, rates = _toy()
    seen = []

    def validate(steps: int):
        seen.append(steps)
        return {"step": steps}, "ok"

    outcome = run_training("toy", 5, _loss(net), optimiser, started=0.0, val_every=2,
                           validate=validate, progress=False)
    assert seen == [2, 4, 5] and outcome.history == [{"step": s} for s in (2, 4, 5)]
    assert outcome.steps == 5 and not outcome.stopped_early and len(outcome.losses) == 5
    assert rates == [0.1 / (s + 1) for s in range(5)]  # the schedule was asked once per step
    assert outcome.losses[-1] < outcome.losses[0]
    record = outcome.training_record(8, data_seconds=1.0)
    assert list(record) == ["seconds", "data_seconds", "steps", "samples_seen", "stopped_early"]
    assert record["samples_seen"] == 40


def test_time_cap_stops_before_a_step_and_says_so() -> None:
    import time

    net, optimiser, _ = _toy()
    before = net.weight.detach().clone()
    outcome = run_training("toy", 5, _loss(net), optimiser, started=time.perf_counter() - 120,
                           minutes=1.0, progress=False)
    assert outcome.stopped_early and outcome.steps == 0 and outcome.losses == []
    assert torch.equal(net.weight, before)
    assert outcome.training_record(8)["stopped_early"] is True


def test_ema_follows_and_after_step_runs_once_per_step() -> None:
    net, optimiser, _ = _toy()
    ema = torch.nn.Linear(3, 1).requires_grad_(False)
    ema.load_state_dict(net.state_dict())
    start = net.weight.detach().clone()
    calls = []
    optimiser.ema, optimiser.ema_decay = ema, 0.5
    optimiser.after_step = lambda: calls.append(1)
    run_training("toy", 3, _loss(net), optimiser, started=0.0, progress=False)
    assert len(calls) == 3
    assert not torch.equal(ema.weight, start)  # the average moved toward the trained weights
    assert not torch.equal(ema.weight, net.weight)  # ... and lags behind them


def test_session_restores_threads_and_determinism() -> None:
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    with training_session(1):
        assert torch.get_num_threads() == 1 and torch.are_deterministic_algorithms_enabled()
    assert torch.get_num_threads() == threads
    assert torch.are_deterministic_algorithms_enabled() == deterministic


def test_adamw_exempts_named_parameters_from_weight_decay() -> None:
    net = torch.nn.Linear(3, 2)
    optimizer = adamw(net, 0.1, 0.05, exempt=lambda name, p: p.ndim < 2)
    decay, exempt = optimizer.param_groups
    assert decay["weight_decay"] == 0.05 and decay["params"] == [net.weight]
    assert exempt["weight_decay"] == 0.0 and exempt["params"] == [net.bias]
