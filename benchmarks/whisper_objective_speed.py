"""How much cheaper is Whisper's ``encoder_frames="fit"`` objective, and does it still invert?

Two small measurements that justify offering the option (ENVIRONMENT.md, Whisper tiny.en):

1. seconds per Adam step (forward + backward) on a 3-s waveform, batch 1, ``"full"`` vs ``"fit"``;
2. whether ~100 Adam steps against the ``"fit"`` objective (lr 2e-3 on the samples, start from
   Gaussian noise of std 1e-3, clamp to [-1, 1] after each step) make the *standard* full-window
   ``run`` transcribe a target sentence exactly, and after how many steps.

Run: ``python benchmarks/whisper_objective_speed.py [--threads 2] [--steps 100]``. Timings depend
on the machine and on what else runs on it: the load average is printed with the table.
"""

from __future__ import annotations

import os

# Before torch starts its OpenMP runtime: with spinning workers, any other busy process on a
# 2-core machine made a "fit" step ~40x slower here (3.4 s instead of 0.08-0.12 s).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

from invbench.contracts.media import Waveform  # noqa: E402
from invbench.models.whisper.asr import SAMPLE_RATE, WhisperASR  # noqa: E402

SENTENCE = "Please turn off the lights."


def seconds_per_step(
    asr: WhisperASR, mode: str, seconds: float, repeats: int
) -> tuple[float, float]:
    """(min, median) wall time of one Adam step (objective, backward, update) after a warm-up.

    The minimum is the figure to compare on a shared machine: contention only ever adds time.
    """
    gen = torch.Generator().manual_seed(0)
    x = (1e-3 * torch.randn(1, int(seconds * SAMPLE_RATE), generator=gen)).requires_grad_(True)
    opt = torch.optim.Adam([x], lr=2e-3)
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        loss = asr.objective(x, [{"text": SENTENCE}], encoder_frames=mode).loss
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
        times.append(time.perf_counter() - start)
    return min(times[1:]), statistics.median(times[1:])


def invert(
    asr: WhisperASR, mode: str, seconds: float, steps: int, check_every: int
) -> tuple[int | None, str]:
    """Adam on the ``mode`` objective; the standard ``run`` is asked whenever the objective says
    success (and every ``check_every`` steps). Returns the first step at which ``run`` gives
    exactly the sentence, or None, and the last transcript."""
    gen = torch.Generator().manual_seed(0)
    x = (1e-3 * torch.randn(1, int(seconds * SAMPLE_RATE), generator=gen)).requires_grad_(True)
    opt = torch.optim.Adam([x], lr=2e-3)
    transcript = ""
    for step in range(1, steps + 1):
        result = asr.objective(x, [{"text": SENTENCE}], encoder_frames=mode)
        opt.zero_grad()
        result.loss.sum().backward()
        opt.step()
        with torch.no_grad():
            x.clamp_(-1.0, 1.0)
        if bool(result.success[0]) or step % check_every == 0 or step == steps:
            transcript = asr.run([Waveform(x.detach()[0].clone(), SAMPLE_RATE)])[0]
            loss = float(result.loss[0].detach())
            print(f"  step {step:3d}  loss {loss:.4f}  run: {transcript!r}")
            if transcript == SENTENCE:
                return step, transcript
    return None, transcript


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--check-every", type=int, default=10)
    parser.add_argument(
        "--invert-with",
        nargs="*",
        default=["fit"],
        choices=["fit", "full"],
        help="objectives to invert with (the standard run always judges)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    asr = WhisperASR()

    full = seconds_per_step(asr, "full", args.seconds, args.repeats)
    fit = seconds_per_step(asr, "fit", args.seconds, args.repeats)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\n{asr.model_id}, {args.seconds:g}-s waveform, batch 1, {args.threads} threads")
    policy = os.environ["OMP_WAIT_POLICY"]
    print(f"load average after measuring: {load}; OMP_WAIT_POLICY={policy}\n")
    print("| encoder_frames | s / Adam step (min) | s / Adam step (median) |")
    print("| --- | --- | --- |")
    print(f"| full | {full[0]:.3f} | {full[1]:.3f} |")
    print(f"| fit | {fit[0]:.3f} | {fit[1]:.3f} |")
    print(f"| ratio fit/full | {fit[0] / full[0]:.3f} | {fit[1] / full[1]:.3f} |\n")

    for mode in args.invert_with:
        print(f"inverting {SENTENCE!r}: up to {args.steps} Adam steps on the {mode!r} objective")
        step, transcript = invert(asr, mode, args.seconds, args.steps, args.check_every)
        verdict = f"exact after {step} steps" if step else f"not exact after {args.steps} steps"
        print(f"standard full-window run: {verdict} (last transcript {transcript!r})\n")


if __name__ == "__main__":
    main()
