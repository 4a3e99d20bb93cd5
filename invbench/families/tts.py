"""The ``tts`` family: recover a prompt from which the text-to-speech model speaks the target clip.

As for the generator (:class:`~invbench.families.generator.TextInputFamily`), the harness
re-synthesises from the recovered prompt's text and from its soft embeddings. The task's ``asr``
judge then transcribes both re-syntheses (``transcript``, ``soft_transcript``), so that metrics
can score how intelligibly they say the hidden sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from invbench.contracts.forward_model import ForwardModel
from invbench.contracts.inversion import Inversion
from invbench.families.generator import TextInputFamily
from invbench.targets.target_set import TargetItem


class TTSFamily(TextInputFamily):
    family = "tts"
    output_field = "audio"
    judge_fields = {"asr": "transcript"}

    def scoring_fields(
        self, model: ForwardModel, items: Sequence[TargetItem], inversions: Sequence[Inversion]
    ) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
        fields, outputs = super().scoring_fields(model, items, inversions)
        if "asr" in self.judges:
            asr = self.judges["asr"]
            fields["transcript"] = asr.run(fields["audio"])
            fields["soft_transcript"] = [
                None if audio is None else asr.run([audio])[0] for audio in fields["soft_audio"]
            ]
            for out, hard, soft in zip(
                outputs, fields["transcript"], fields["soft_transcript"], strict=True
            ):
                out["transcript"] = hard
                if soft is not None:
                    out["soft_transcript"] = soft
        return fields, outputs
