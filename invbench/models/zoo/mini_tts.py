"""The mini-zoo text-to-speech model wrapped for inversion (prompt → 16 kHz speech).

A prompt's content tokens are embedded with all-MiniLM-L6-v2's input table (frozen, the real
30,522 × 384 WordPiece space), and the mini-TTS network (``invbench.models.zoo.tts_net``) predicts
their durations and a linear spectrogram, which Griffin-Lim turns into a waveform. Hard and soft
prompts take the same path (a hard prompt is the table rows of its tokens).

The objective is differentiable with respect to the prompt's embeddings through the spectrogram
(the rounded durations carry no gradient): the log-mel of the predicted spectrogram, linearly
resampled in time to the target's frame count, against the log-mel of the target clip, as a mean
absolute difference per item.

Example (needs the shipped weights)::

    tts = MiniTTS("tts")
    [speech] = tts.run([Text("The red circle is small.")])
    speech.sample_rate  # 16000
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from invbench.contracts.errors import InvbenchError
from invbench.contracts.forward_model import ObjectiveResult
from invbench.contracts.media import Waveform
from invbench.contracts.text_input import Text, TextInputModel, check_soft_embeddings
from invbench.models.target_payload import target_field
from invbench.models.zoo.minilm_prompts import MiniLMPrompts
from invbench.models.zoo.tts_net import (
    ARCHITECTURE,
    GRIFFIN_LIM_ITERS,
    HOP,
    LOG_FLOOR,
    N_BINS,
    N_FFT,
    N_MELS,
    SAMPLE_RATE,
    TTSConfig,
    TTSNet,
    griffin_lim,
    log_magnitude,
    log_mel_from_log_magnitude,
)
from invbench.models.zoo.weights import ZooNetwork

# mean absolute log-mel difference (nats) at which the objective calls the target reached. The
# target is a clip the vocoder made, so even the target's own sentence does not score 0: on the
# shipped model and clips-mini it scores 0.11 to 0.20 (Griffin-Lim's round trip). Below 0.1 a
# prompt matches the clip better than its own sentence does.
SUCCESS_LOG_MEL_L1 = 0.1
MIN_FRAMES = N_FFT // HOP + 1  # the shortest spectrogram Griffin-Lim's STFT can analyse


def synthesise(net: TTSNet, prompt: Tensor) -> tuple[Tensor, Tensor]:
    """``(waveform (S,), log magnitudes (T, N_BINS))`` of one prompt ``(L, D)``, no gradients.
    One item at a time: a clip never depends on its batch-mates, not even numerically."""
    with torch.no_grad():
        mask = torch.ones(1, prompt.shape[0], dtype=torch.bool, device=prompt.device)
        log_mag, frames, _ = net(prompt[None], mask)
        log_mag = _pad_with_silence(log_mag[0, frames[0]])
        wave = griffin_lim(log_mag).clamp(-1.0, 1.0)
    return wave, log_mag


def _pad_with_silence(log_mag: Tensor) -> Tensor:
    """``log_mag`` ``(T, N_BINS)`` padded with silent frames to at least ``MIN_FRAMES`` (e.g.
    every token got 0 frames): the STFT and the objective's resampling need a few frames."""
    short = MIN_FRAMES - log_mag.shape[0]
    if short <= 0:
        return log_mag
    silence = torch.full((short, N_BINS), math.log(LOG_FLOOR), device=log_mag.device)
    return torch.cat([log_mag, silence])


class MiniTTS(ZooNetwork, MiniLMPrompts, TextInputModel):
    """A mini-zoo TTS (``name``: zoo name or folder)."""

    output_modality = "audio"

    def __init__(self, name: str = "tts", device: str = "cpu") -> None:
        super().__init__()
        self._load_network(name, ARCHITECTURE, lambda c: TTSNet(TTSConfig.from_dict(c)), device,
                           "mini-tts")
        self._use_minilm(self._device)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info.update(
            **self.zoo_facts(),
            vocoder=f"Griffin-Lim, {GRIFFIN_LIM_ITERS} iterations, fixed phase seed 0",
            spectrogram={"sample_rate": SAMPLE_RATE, "n_fft": N_FFT, "hop": HOP},
            text_table={"name": "all-MiniLM-L6-v2", "weights_sha256": self.minilm.weights_sha256},
            objective={
                "loss": f"mean |log-mel difference| ({N_MELS} bands) to the target clip, the "
                "prediction resampled to the target's frames, per item",
                "gradient": "through the spectrogram; durations are rounded (no gradient)",
                "success": f"loss <= {SUCCESS_LOG_MEL_L1}",
            },
        )
        return info

    def _run(self, inputs: Sequence[Text]) -> list[Waveform]:
        return self._run_from_embeddings(self.prompt_embeddings(inputs, "the TTS"))

    def _run_from_embeddings(self, prompts: Sequence[Tensor]) -> list[Waveform]:
        out = []
        for soft in prompts:
            soft = check_soft_embeddings(soft, self.input_spec)
            wave, _ = synthesise(self.net, soft.to(self._device).float())
            out.append(Waveform(wave.cpu(), SAMPLE_RATE))
        return out

    def _objective(self, x: Tensor, targets: Sequence[Any], **options: Any) -> ObjectiveResult:
        """Per-item mean absolute log-mel difference between the speech predicted from the soft
        prompts ``x`` ``(B, L, D)`` and the target clips (``Waveform`` or payloads with
        ``"audio"``); ``success`` once it is at most ``SUCCESS_LOG_MEL_L1``."""
        self.check_objective_input(x, targets, options, "the TTS")
        losses = []
        for prompt, target in zip(x, targets, strict=True):
            wanted = log_mel_from_log_magnitude(log_magnitude(_target_samples(target)))
            mask = torch.ones(1, prompt.shape[0], dtype=torch.bool, device=self._device)
            log_mag, frames, _ = self.net(prompt[None].to(self._device), mask)
            # as synthesise: a prompt whose tokens all get 0 frames is heard as silence
            predicted = log_mel_from_log_magnitude(_pad_with_silence(log_mag[0, frames[0]]))
            aligned = F.interpolate(
                predicted.T[None], size=wanted.shape[0], mode="linear", align_corners=True
            )[0].T
            losses.append((aligned - wanted.to(aligned.device)).abs().mean())
        loss = torch.stack(losses)
        return ObjectiveResult(loss=loss, success=loss.detach() <= SUCCESS_LOG_MEL_L1)


def _target_samples(target: Any) -> Tensor:
    audio = target_field(target, "audio")
    if not isinstance(audio, Waveform) or audio.sample_rate != SAMPLE_RATE:
        got = type(audio).__name__ if not isinstance(audio, Waveform) else f"{audio.sample_rate} Hz"
        raise InvbenchError(f"a TTS target must be a {SAMPLE_RATE} Hz Waveform, got {got}")
    return audio.samples.float()
