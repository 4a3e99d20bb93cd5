"""The ``asr`` family: recover a waveform the ASR model transcribes as the target text.

A task can name a second, independent ASR as its ``transfer`` judge (the same network must not be
the only judge of the axis it was optimised against: docs/extend/task.md)::

    judges: {transfer: {id: whisper, options: {name: large-v3}}}

Its transcripts of the recovered audio fill the scoring field ``transfer_hypothesis`` (and are
recorded per item as ``transfer_transcript``), which a metric entry reads with a prefix, e.g.
``{id: wer, prefix: transfer_, fields: {hypothesis: transfer_hypothesis}}``; its signature then
names the judge (:meth:`FamilyAdapter.field_sources`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import soundfile

from invbench.contracts.forward_model import ForwardModel
from invbench.contracts.inversion import Inversion
from invbench.contracts.media import Waveform
from invbench.families.adapter import FamilyAdapter
from invbench.fs.atomic import atomic_write_bytes
from invbench.targets.target_set import TargetItem


class ASRFamily(FamilyAdapter):
    family = "asr"
    input_type = Waveform
    carrier_field = "audio"
    judge_fields = {"transfer": "transfer_hypothesis"}

    def scoring_fields(
        self, model: ForwardModel, items: Sequence[TargetItem], inversions: Sequence[Inversion]
    ) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
        audio = [inv.x for inv in inversions]
        transcripts = model.run(audio)
        fields: dict[str, list[Any]] = {
            "hypothesis": transcripts,
            "target_text": [item.target["text"] for item in items],
            "audio": audio,
            "reference_audio": [item.hidden.get("audio") for item in items],
            "carrier_audio": [inv.carrier for inv in inversions],
        }
        outputs: list[dict[str, Any]] = [{"transcript": t} for t in transcripts]
        self.add_transfer(audio, fields, outputs, "transfer_transcript")
        return fields, outputs

    def save_artifacts(self, inversion: Inversion, folder: Path, stem: str) -> dict[str, str]:
        wave = inversion.x
        buffer = io.BytesIO()
        soundfile.write(
            buffer, wave.samples.detach().cpu().numpy(), wave.sample_rate, "PCM_16", format="WAV"
        )
        path = folder / f"{stem}.wav"
        atomic_write_bytes(path, buffer.getvalue())
        return {"audio": str(path)}
