"""Whisper's log-mel front end, differentiable and batched, with the window's constants.

Scoring uses ``whisper.log_mel_spectrogram`` itself; the objective needs a copy that gradients
flow through and that can transform only the frames a short clip occupies.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from invbench.contracts.errors import InvbenchError

SAMPLE_RATE = 16000
N_FFT = 400
HOP_LENGTH = 160
N_SAMPLES = 30 * SAMPLE_RATE  # whisper's fixed 30-s window
N_FRAMES = N_SAMPLES // HOP_LENGTH  # 3000 mel frames -> 1500 encoder positions


def fit_frames(n_samples: int) -> int:
    """Mel frames an ``n_samples`` clip occupies, rounded up to even (conv2 has stride 2)."""
    frames = math.ceil(n_samples / HOP_LENGTH)
    return min(N_FRAMES, max(2, frames + frames % 2))


class LogMel:
    """Whisper's mel filters and Hann window on one device, applied as whisper applies them."""

    def __init__(self, n_mels: int, device: torch.device) -> None:
        import whisper

        self._mel_filters = whisper.audio.mel_filters(device, n_mels)
        self._window = torch.hann_window(N_FFT, device=device)

    def __call__(self, audio: torch.Tensor) -> torch.Tensor:
        """Whisper's log-mel spectrogram, differentiable and batched: ``[B, T] -> [B, mels, T/160]``

        Same steps as ``whisper.log_mel_spectrogram`` except that the floor (max - 8) is taken per
        item, never over the batch, and power is re² + im² (``|z|²`` has no gradient at zero).
        """
        if audio.ndim != 2:
            raise InvbenchError(f"log_mel expects [batch, samples], got {tuple(audio.shape)}")
        stft = torch.stft(audio, N_FFT, HOP_LENGTH, window=self._window, return_complex=True)
        power = torch.view_as_real(stft[..., :-1]).pow(2).sum(-1)
        log_spec = (self._mel_filters @ power).clamp(min=1e-10).log10()
        floor = log_spec.amax(dim=(1, 2), keepdim=True) - 8.0
        return (torch.maximum(log_spec, floor) + 4.0) / 4.0

    def window(self, x: torch.Tensor, frames: int = N_FRAMES) -> torch.Tensor:
        """The first ``frames`` frames of the log-mel whisper computes for ``x`` padded to 30 s.

        For fewer frames only ``frames * 160 + 400`` samples are transformed: that covers every
        frame touching the audio (so the per-item floor is whisper's own) and leaves out frames
        of pure padding, which cannot raise the maximum. Identical values, a fraction of the cost.
        """
        n_samples = x.shape[-1]
        if frames >= N_FRAMES:
            return self(F.pad(x, (0, N_SAMPLES - n_samples)))
        if n_samples > frames * HOP_LENGTH:
            raise InvbenchError(f"{n_samples} samples do not fit in {frames} mel frames")
        padded = F.pad(x, (0, frames * HOP_LENGTH + N_FFT - n_samples))
        return self(padded)[:, :, :frames]
