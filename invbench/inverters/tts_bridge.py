"""``tts-bridge``: speak the target transcript with the mini-zoo text-to-speech model.

The cross-model baseline of the ``asr`` family: no optimisation against the ASR model at all,
only a TTS (``tts``: zoo name or folder) reading each target sentence. Scoring transcribes the
speech, so this measures how far a plain text→speech model gets at producing audio the ASR model
transcribes as the target, and how natural such audio is next to optimised waveforms.
"""

from __future__ import annotations

from typing import Any

from invbench.contracts.errors import InvbenchError
from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter, InverterConfig
from invbench.contracts.text_input import Text
from invbench.inverters.on_first_problem import OnFirstProblem
from invbench.models.zoo.mini_tts import MiniTTS


class TTSBridgeConfig(InverterConfig):
    tts: str = "tts"  # a mini-zoo TTS name or folder


class TTSBridge(BaseInverter):
    name = "tts-bridge"
    version = "1"
    families = ("asr",)
    description = "Cross-model baseline: the mini-TTS speaking the target transcript"
    Config = TTSBridgeConfig

    def __init__(self, **overrides: Any) -> None:
        super().__init__(**overrides)
        self.tts = OnFirstProblem(lambda device: MiniTTS(self.settings.tts, device=device))

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        tts = self.tts(problem)
        inversions = []
        for target in problem.targets:
            text = target.payload.get("text")
            if not isinstance(text, str):
                raise InvbenchError(
                    f"{self.name} needs a sentence under payload['text'] of target {target.id}, "
                    f"got {type(text).__name__}"
                )
            [speech] = tts.run([Text(text)])
            inversions.append(Inversion(x=speech, info={"tts": tts.model_id, "prompt": text}))
        return inversions
