"""``asr-bridge``: transcribe the target clip and use the transcript as the prompt.

The cross-model baseline of the ``tts`` family: no optimisation against the TTS at all, only an
ASR model (Whisper, ``asr``: a size such as ``tiny.en``) transcribing each target clip. Scoring
re-synthesises from the transcript, so this measures how far a plain speech→text model gets at
recovering a prompt.
"""

from __future__ import annotations

from typing import Any

from invbench.contracts.errors import InvbenchError
from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter, InverterConfig
from invbench.contracts.media import Waveform
from invbench.contracts.text_input import Text
from invbench.inverters.on_first_problem import OnFirstProblem
from invbench.inverters.prompt_loop import text_model
from invbench.models.whisper.asr import WhisperASR


class ASRBridgeConfig(InverterConfig):
    asr: str = "tiny.en"  # a Whisper size (or a converted checkpoint folder)


class ASRBridge(BaseInverter):
    name = "asr-bridge"
    version = "1"
    families = ("tts",)
    description = "Cross-model baseline: Whisper's transcript of the target clip as the prompt"
    Config = ASRBridgeConfig

    def __init__(self, **overrides: Any) -> None:
        super().__init__(**overrides)
        self.asr = OnFirstProblem(lambda device: WhisperASR(self.settings.asr, device=device))

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        forward = text_model(problem, self.name)
        asr = self.asr(problem)
        inversions = []
        for target in problem.targets:
            audio = target.payload.get("audio")
            if not isinstance(audio, Waveform):
                raise InvbenchError(
                    f"{self.name} needs a Waveform under payload['audio'] of target {target.id}, "
                    f"got {type(audio).__name__}"
                )
            [transcript] = asr.run([audio])  # one clip per call, as scoring transcribes
            inversions.append(
                Inversion(
                    x=Text(transcript),
                    token_ids=forward.tokenize([transcript])[0],
                    info={"asr": asr.model_id},
                )
            )
        return inversions
