"""The mini-TTS network: token embeddings → durations → linear spectrogram → 16 kHz waveform.

A non-autoregressive text-to-speech model in the FastSpeech mould, small enough to train on two
CPU cores:

1. the prompt's content-token rows of MiniLM's input table (frozen, ``(L, 384)``) are projected
   and contextualised by a transformer encoder;
2. a duration head predicts ``log(1 + frames)`` for every token; the token states are repeated
   that many frames (training uses the aligner's true durations), and each frame also sees where
   it sits inside its token;
3. a frame decoder (transformer layers, then residual convolutions) predicts the log magnitude of
   the 1024-point STFT, which Griffin-Lim turns into a waveform.

Given the durations, the spectrogram is differentiable with respect to the input embeddings (the
durations themselves are rounded, so no gradient flows through them): that is the path inverters
optimise. Griffin-Lim runs without gradients, from a fixed phase, so a prompt always gives the
same waveform.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import Tensor, nn

ARCHITECTURE = "mini-tts-v1"

SAMPLE_RATE = 16000
N_FFT = 1024
HOP = 256  # 16 ms frames
N_BINS = N_FFT // 2 + 1
N_MELS = 80  # the objective compares log-mel spectrograms
LOG_FLOOR = 1e-5  # magnitudes below this are silence
GRIFFIN_LIM_ITERS = 32
GRIFFIN_LIM_MOMENTUM = 0.99
MAX_TOKEN_FRAMES = 60  # ~1 s: a token the duration head stretches further is clamped
POSITION_FREQUENCIES = 4  # sin/cos features of a frame's position inside its token


@dataclass(frozen=True)
class TTSConfig:
    embedding_dim: int = 384
    width: int = 256
    heads: int = 4
    encoder_layers: int = 4
    decoder_layers: int = 2
    decoder_convs: int = 4
    kernel: int = 5
    max_tokens: int = 64
    max_frames: int = 1024

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TTSConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise TypeError(f"unknown TTS config fields {sorted(unknown)}")
        return cls(**values)


def _transformer(width: int, heads: int, layers: int) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(
        width, heads, 4 * width, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
    )
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


class _ConvBlock(nn.Module):
    def __init__(self, width: int, kernel: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.conv = nn.Conv1d(width, width, kernel, padding=kernel // 2)
        self.out = nn.Linear(width, width)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        h = self.norm(x).masked_fill(~mask[..., None], 0.0)
        h = F.gelu(self.conv(h.transpose(1, 2)).transpose(1, 2))
        return x + self.out(h)


class TTSNet(nn.Module):
    def __init__(self, config: TTSConfig) -> None:
        super().__init__()
        self.config = config
        w = config.width
        self.embed_in = nn.Linear(config.embedding_dim, w)
        self.token_position = nn.Parameter(torch.randn(config.max_tokens, w) * 0.02)
        self.encoder = _transformer(w, config.heads, config.encoder_layers)
        self.duration = nn.Sequential(
            nn.Conv1d(w, w, 3, padding=1), nn.GELU(), nn.Conv1d(w, 1, 3, padding=1)
        )
        self.frame_features = nn.Linear(2 * POSITION_FREQUENCIES + 2, w)
        self.frame_position = nn.Parameter(torch.randn(config.max_frames, w) * 0.02)
        self.decoder = _transformer(w, config.heads, config.decoder_layers)
        self.convs = nn.ModuleList(
            _ConvBlock(w, config.kernel) for _ in range(config.decoder_convs)
        )
        self.norm_out = nn.LayerNorm(w)
        self.to_spectrum = nn.Linear(w, N_BINS)

    def encode(self, embeddings: Tensor, token_mask: Tensor) -> tuple[Tensor, Tensor]:
        """Token states ``(B, L, W)`` and predicted ``log(1 + frames)`` ``(B, L)``."""
        length = embeddings.shape[1]
        h = self.embed_in(embeddings) + self.token_position[:length]
        h = self.encoder(h, src_key_padding_mask=~token_mask)
        log_duration = self.duration(h.transpose(1, 2)).squeeze(1)
        return h, log_duration.masked_fill(~token_mask, 0.0)

    def decode(self, states: Tensor, durations: Tensor) -> tuple[Tensor, Tensor]:
        """Log magnitudes ``(B, T, N_BINS)`` and the frame mask ``(B, T)`` from token states and
        integer durations ``(B, L)`` (padding tokens have duration 0)."""
        frames, index, features = expand_frames(durations, self.config.max_frames)
        b, t = index.shape
        gathered = torch.gather(states, 1, index[..., None].expand(b, t, states.shape[-1]))
        h = gathered + self.frame_features(features) + self.frame_position[:t]
        h = self.decoder(h, src_key_padding_mask=~frames)
        for block in self.convs:
            h = block(h, frames)
        return self.to_spectrum(self.norm_out(h)), frames

    def forward(self, embeddings: Tensor, token_mask: Tensor, durations: Tensor | None = None):
        """``(log magnitudes, frame mask, predicted log durations)``; the durations default to
        the rounded prediction."""
        states, log_duration = self.encode(embeddings, token_mask)
        if durations is None:
            durations = rounded_durations(log_duration, token_mask)
        spectrum, frames = self.decode(states, durations)
        return spectrum, frames, log_duration


def rounded_durations(log_duration: Tensor, token_mask: Tensor) -> Tensor:
    frames = torch.expm1(log_duration.detach()).round().clamp(0, MAX_TOKEN_FRAMES).long()
    return frames.masked_fill(~token_mask, 0)


def expand_frames(durations: Tensor, max_frames: int) -> tuple[Tensor, Tensor, Tensor]:
    """For each frame: whether it is real ``(B, T)``, the token it belongs to ``(B, T)`` and
    its position features ``(B, T, F)`` (sin/cos of its relative place in the token, that place,
    and the token's log length). ``T`` is the longest total, at least 1, at most ``max_frames``."""
    durations = durations.long()
    totals = durations.sum(1)
    t = int(min(max(int(totals.max()) if totals.numel() else 1, 1), max_frames))
    ends = durations.cumsum(1)  # (B, L)
    steps = torch.arange(t, device=durations.device)
    index = torch.searchsorted(ends, steps.expand(len(durations), t).contiguous(), right=True)
    index = index.clamp(max=durations.shape[1] - 1)
    starts = ends - durations
    start = torch.gather(starts, 1, index).float()
    length = torch.gather(durations, 1, index).float().clamp(min=1)
    place = (steps[None].float() - start + 0.5) / length
    k = torch.arange(1, POSITION_FREQUENCIES + 1, device=durations.device).float() * math.pi
    angles = place[..., None] * k
    features = torch.cat(
        [angles.sin(), angles.cos(), place[..., None], torch.log1p(length)[..., None] / 4], -1
    )
    frames = steps[None] < totals[:, None].clamp(max=max_frames)
    return frames, index, features


# ---------------------------------------------------------------------- spectral front end


@functools.lru_cache(maxsize=4)
def _window(device: str) -> Tensor:
    return torch.hann_window(N_FFT, device=device)


@functools.lru_cache(maxsize=4)
def mel_filters(device: str = "cpu") -> Tensor:
    """``(N_MELS, N_BINS)`` Slaney mel filters (librosa's default definition)."""
    import librosa

    fb = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS)
    return torch.tensor(fb, dtype=torch.float32, device=device)


def magnitude(samples: Tensor) -> Tensor:
    """STFT magnitude ``(..., T, N_BINS)`` of waveforms ``(..., S)`` (centred frames)."""
    spec = torch.stft(
        samples, N_FFT, HOP, window=_window(str(samples.device)), center=True,
        return_complex=True,
    )
    return spec.abs().transpose(-1, -2)


def log_magnitude(samples: Tensor) -> Tensor:
    return torch.log(magnitude(samples).clamp(min=LOG_FLOOR))


def log_mel_from_log_magnitude(log_mag: Tensor) -> Tensor:
    """``(..., T, N_MELS)`` log-mel from log magnitudes ``(..., T, N_BINS)``."""
    mel = log_mag.exp() @ mel_filters(str(log_mag.device)).T
    return torch.log(mel.clamp(min=LOG_FLOOR))


def griffin_lim(log_mag: Tensor, seed: int = 0) -> Tensor:
    """A waveform ``(S,)`` whose STFT magnitude approximates ``exp(log_mag)`` ``(T, N_BINS)``:
    fast Griffin-Lim (with momentum) from a phase drawn from ``seed``, so it is deterministic."""
    with torch.no_grad():
        mag = log_mag.exp().T.contiguous()  # (N_BINS, T)
        window = _window(str(mag.device))
        length = (mag.shape[1] - 1) * HOP
        generator = torch.Generator().manual_seed(seed)
        phase = torch.rand(mag.shape, generator=generator).to(mag.device) * 2 * math.pi
        spec = torch.polar(mag, phase)
        previous = None
        for _ in range(GRIFFIN_LIM_ITERS):
            wave = torch.istft(spec, N_FFT, HOP, window=window, center=True, length=length)
            rebuilt = torch.stft(wave, N_FFT, HOP, window=window, center=True, return_complex=True)
            angle = rebuilt / rebuilt.abs().clamp(min=1e-8)
            step = angle if previous is None else angle + GRIFFIN_LIM_MOMENTUM * (angle - previous)
            previous = angle
            spec = mag * step / step.abs().clamp(min=1e-8)
        return torch.istft(spec, N_FFT, HOP, window=window, center=True, length=length)
