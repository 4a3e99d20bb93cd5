"""``waveform-perturb``: a targeted, norm-bounded perturbation of a natural speech carrier.

In the style of Carlini & Wagner's audio attack (2018) and Olivier & Raj's attacks on Whisper
(2022): start from real speech of *another* sentence (the task's carrier), optimise an additive
perturbation under an L2 bound given as a signal-to-noise ratio, and each time the model already
emits the target, shrink the bound and keep the smallest successful perturbation.

**Which carrier.** The harness hands target ``i`` of the full set the natural recording of the
target ``n // 2`` positions further on (modulo the set's size ``n``;
:meth:`~invbench.families.adapter.FamilyAdapter.carriers`): always another sentence, and the same
one whatever ``--limit``/``--shard`` select.

**Padding.** When the carrier is shorter than the clip the target sentence needs
(:meth:`~invbench.inverters.waveform_loop.ClipLengthConfig.clip_samples`, at least
``min_seconds``), it is padded with silence at its end and the perturbation covers the padding
too. The inversion's ``carrier`` is the *unpadded* natural clip, so the ``snr`` metric measures
the perturbation over the carrier's own span; the record's ``inverter_info`` states the padding:
``carrier_seconds``, ``padded_seconds`` (silence appended) and ``padding_energy_share`` (the
fraction of the perturbation's energy that lies in the padding, 0 without padding).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from invbench.contracts.errors import InvbenchError
from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter
from invbench.contracts.media import Waveform
from invbench.inverters.item_trace import ItemTrace
from invbench.inverters.waveform_loop import (
    VerifiedSuccess,
    WaveformOptimisationConfig,
    optimise,
)


class WaveformPerturbConfig(WaveformOptimisationConfig):
    steps: int = 120
    start_snr_db: float = 5.0  # the initial bound: perturbation 5 dB below the carrier
    shrink: float = 0.8  # bound multiplier after each success


class WaveformPerturb(BaseInverter):
    name = "waveform-perturb"
    version = "1"
    families = ("asr",)
    description = "SNR-bounded perturbation of another target's speech, bound shrunk on success"
    Config = WaveformPerturbConfig

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        cfg: WaveformPerturbConfig = self.settings
        if problem.carriers is None:
            raise InvbenchError(f"task {problem.task} offers no carrier clips to perturb")
        rate = problem.forward.input_spec.sample_rate
        carriers, bounds, deltas, natural = [], [], [], []
        for i, target in enumerate(problem.targets):
            carrier = problem.carriers[i].samples.float()
            natural.append(carrier)
            needed = cfg.clip_samples(target.payload["text"], rate)
            # Pad with silence when the carrier is shorter than the target sentence needs.
            carrier = F.pad(carrier, (0, max(0, needed - carrier.shape[-1])))
            carriers.append(carrier)
            bounds.append(float(carrier.norm()) * 10 ** (-cfg.start_snr_db / 20))
            deltas.append(torch.zeros_like(carrier))
        best: list[torch.Tensor | None] = [None] * len(carriers)

        def to_input(i: int, delta: torch.Tensor) -> torch.Tensor:
            return (carriers[i] + delta).clamp(-1.0, 1.0)

        # No escalation: this inverter keeps shrinking its bound after each success, so it
        # stays on the cheap objective and keeps only full-window-confirmed successes.
        reached = VerifiedSuccess(
            problem, cfg.objective_options(), cfg.stop_loss, cfg.verify_every, escalate=False
        )

        def on_loss(i: int, x: torch.Tensor, loss: float, success: bool) -> bool:
            if reached(i, x, loss, success):  # keep the smallest success, then tighten the bound
                best[i] = x.clone()
                bounds[i] = cfg.shrink * float((x - carriers[i]).norm())
            return False

        def project(i: int, delta: torch.Tensor) -> None:
            norm = float(delta.norm())
            if norm > bounds[i]:
                delta.mul_(bounds[i] / norm)

        traces = optimise(
            problem,
            deltas,
            to_input=to_input,
            after_step=project,
            on_loss=on_loss,
            steps=cfg.steps,
            lr=cfg.lr,
            options_for=reached.options_for,
            stack_items=cfg.stack_items,
        )
        return [
            _inversion(best[i] if best[i] is not None else to_input(i, deltas[i].detach()),
                       carriers[i], natural[i], rate, trace, best[i] is not None)
            for i, trace in enumerate(traces)
        ]


def _inversion(x: torch.Tensor, padded: torch.Tensor, natural: torch.Tensor, rate: int,
               trace: ItemTrace, reached: bool) -> Inversion:
    """The result for one item; its ``carrier`` is the natural clip, unpadded (SNR is measured
    over its span), and ``info`` says how it was padded."""
    info = {"reached_target": reached}
    info.update(padding_info(x.detach() - padded, natural.shape[-1], rate))
    return Inversion(
        x=Waveform(x.detach().clone(), rate),
        carrier=Waveform(natural, rate),
        steps=trace.steps,
        loss_trace=trace.losses,
        info=info,
    )


def padding_info(perturbation: torch.Tensor, carrier_samples: int, rate: int) -> dict[str, float]:
    """How much silence was appended to the carrier and what share of the perturbation's energy
    (sum of squares) lies in it (0 when nothing was padded or nothing perturbed)."""
    total = float(perturbation.double().square().sum())
    padded = float(perturbation[..., carrier_samples:].double().square().sum())
    return {
        "carrier_seconds": carrier_samples / rate,
        "padded_seconds": (perturbation.shape[-1] - carrier_samples) / rate,
        "padding_energy_share": padded / total if total > 0 else 0.0,
    }
