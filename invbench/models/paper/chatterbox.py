"""Chatterbox-TTS (Resemble AI, ``chatterbox-tts`` 0.1.7), the paper's TTS: prompt → speech.

**An optional, separately installed backend.** chatterbox-tts pins torch/torchaudio 2.6,
transformers 5.2 and diffusers 0.29, and importing it imports torchaudio, s3tokenizer (and onnx),
resemble-perth, conformer, omegaconf, einops, librosa and diffusers: it cannot share invbench's
default environment. ``chatterbox`` is imported lazily; its absence is a one-line error that
carries :data:`INSTALL`.

**Scoring** (``run``) is ``ChatterboxTTS.generate`` itself, one prompt at a time under a fixed
torch seed (T3's sampling and S3Gen's flow-matching noise draw from torch's global RNG; the
caller's RNG state is restored afterwards): ``punc_norm``, ``EnTokenizer``, T3 sampling with
classifier-free guidance, S3Gen vocoding, the Perth watermark. The native 24 kHz clip is
resampled once, here, to invbench's 16 kHz scoring rate (Whisper, DNSMOS and the mel distance
read 16 kHz and never resample); ``describe()`` records both rates and the resampler.

**Soft prompts** (``run_from_embeddings``) take the same ``generate`` call with two attributes
swapped for its duration: the tokenizer returns ``L`` placeholder ids and ``t3.text_emb`` returns
the soft rows framed by the real ``[START]``/``[STOP]`` rows (:class:`SoftTextEmbedding`). T3 adds
its text position embeddings and zeroes the CFG row as for any prompt, so soft rows equal to a
text's token rows reproduce that text's input exactly. T3 has no entry point taking text
embeddings, and reimplementing its sampling loop would let scoring drift from ``generate``.

**The objective** bypasses sampling, S3Gen and the watermark (gradients only): the teacher-forced
cross-entropy of the target clip's S3 speech tokens under T3
(:mod:`invbench.models.paper.chatterbox_objective`).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from invbench.assets.kinds import Asset, HubRepo, PythonPackage
from invbench.contracts.errors import InvalidInversion, InvbenchError
from invbench.contracts.media import Waveform
from invbench.contracts.text_input import Text, TextInputModel, TextSpec, check_soft_embeddings
from invbench.models.checkpoint_files import guarded_load, redownload_remedy
from invbench.models.paper.chatterbox_objective import OBJECTIVE, SpeechTokenObjective
from invbench.models.paper.chatterbox_parts import (
    EXCLUDED_SPECIALS,
    S3_SAMPLE_RATE,
    PlaceholderTokenizer,
    SoftTextEmbedding,
    frame_soft_rows,
    resample_to_16k,
    speech_teacher_forcing,
    target_waveform,
    vocabulary,
)
from invbench.models.placement import hub_offline, resolve_placement
from invbench.models.weights_identity import folder_weights_sha256

__all__ = [  # with the Chatterbox-free parts it is built from, tested on their own
    "CHECKPOINT_FILES", "DEFAULT_MODEL", "EXCLUDED_SPECIALS", "GENERATE", "INSTALL", "OBJECTIVE",
    "PERTH", "ChatterboxTTSModel", "PlaceholderTokenizer", "SoftTextEmbedding", "frame_soft_rows",
    "import_chatterbox", "resample_to_16k", "speech_teacher_forcing", "target_waveform",
    "vocabulary",
]
DEFAULT_MODEL = "ResembleAI/chatterbox"
# what ChatterboxTTS.from_pretrained downloads, and from_local reads
CHECKPOINT_FILES = ("ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors", "tokenizer.json",
                    "conds.pt")
GENERATE = {"repetition_penalty": 1.2, "min_p": 0.05, "top_p": 1.0, "max_new_tokens": 1000}
# the set the paper lane installs and tests (docs/paper-lane.md): chatterbox-tts's own pins, the
# judges and invbench's requirements, resolved once and frozen
INSTALL = ("in an environment of its own (it pins torch==2.6.0 torchaudio==2.6.0): from an "
           "invbench checkout, `pip install --no-deps -r lanes/paper/lock.txt` then "
           "`pip install --no-deps -e .` (docs/paper-lane.md)")
PERTH = "watermarked by resemble-perth PerthImplicitWatermarker"


# ---------------------------------------------------------------- pure helpers (no chatterbox)

def import_chatterbox() -> Any:
    """The ``chatterbox.tts`` module, or a one-line error saying how to install the backend."""
    if importlib.util.find_spec("chatterbox") is None:
        raise InvbenchError(f"the Chatterbox-TTS backend is not installed; install it {INSTALL}")
    try:
        return importlib.import_module("chatterbox.tts")
    except Exception as exc:  # a missing runtime module (torchaudio, perth, ...) or a torch clash
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise InvbenchError(f"the Chatterbox-TTS backend fails to import ({type(exc).__name__}: "
                            f"{reason}); install it {INSTALL}") from None


class ChatterboxTTSModel(SpeechTokenObjective, TextInputModel):
    """``ChatterboxTTS`` (hub id or local folder with :data:`CHECKPOINT_FILES`) for inversion."""

    output_modality = "audio"

    def __init__(self, model: str = DEFAULT_MODEL, revision: str | None = None,
                 device: str = "cpu", dtype: str = "auto", offload: bool = False,
                 cfg_weight: float = 0.5, exaggeration: float = 0.5, temperature: float = 0.8,
                 seed: int = 0) -> None:
        super().__init__()
        if offload:
            raise InvbenchError("Chatterbox does not support offload=True: T3 (0.5 B parameters)"
                                " and S3Gen fit on any GPU the paper suite needs")
        if not (cfg_weight > 0 and temperature > 0):  # T3.inference always batches a CFG row
            raise InvbenchError(f"cfg_weight and temperature must be > 0 (T3.inference needs its "
                                f"CFG row), got {cfg_weight} and {temperature}")
        self.placement = resolve_placement(device, dtype, offload)
        if self.placement.dtype == torch.float16:
            raise InvbenchError("Chatterbox's objective runs in float32 or under bfloat16 "
                                "autocast; float16 without a gradient scaler underflows")
        self.model, self.revision, self.seed = model, revision, int(seed)
        self.settings = {"cfg_weight": float(cfg_weight), "exaggeration": float(exaggeration),
                         "temperature": float(temperature)}
        self.model_id = f"chatterbox:{model}"
        tts_module = import_chatterbox()  # before any download: no backend, no weights needed
        self.folder = self._checkpoint_folder()
        # a damaged file is named; only a hub download (not the user's folder) gets a remedy
        remedy = "" if Path(model).expanduser().is_dir() else redownload_remedy(model)
        self.tts = guarded_load(lambda: tts_module.ChatterboxTTS.from_local(
            self.folder, str(self.placement.device)), self.folder, remedy)
        self._punc_norm = tts_module.punc_norm
        if self.tts.conds is None:
            raise InvbenchError(f"{self.folder} has no conds.pt (the built-in voice)")
        for part in (self.tts.t3, self.tts.s3gen, self.tts.ve):
            part.eval().requires_grad_(False)  # gradients go to the soft prompt only
        self.hp = self.tts.t3.hp
        self._strings, self._mask = vocabulary(
            self.tts.tokenizer.tokenizer.get_vocab(), self.tts.t3.text_emb.num_embeddings,
            (self.hp.start_text_token, self.hp.stop_text_token))
        self.placeholder = int(torch.nonzero(self._mask)[0])
        table = self.token_embeddings
        self.input_spec = TextSpec(int(table.shape[0]), int(table.shape[1]),
                                   int(self.hp.max_text_tokens))
        self.watermark = PERTH if type(self.tts.watermarker).__name__ == \
            "PerthImplicitWatermarker" else f"watermarked by {type(self.tts.watermarker).__name__}"
        self.watermarked_clips = 0
        self._weights_sha256: str | None = None

    def _checkpoint_folder(self) -> Path:
        """A local folder as given, else the hub snapshot of :data:`CHECKPOINT_FILES`."""
        local = Path(self.model).expanduser()
        if local.is_dir():
            return local
        from huggingface_hub import snapshot_download

        try:
            return Path(snapshot_download(self.model, revision=self.revision,
                                          allow_patterns=list(CHECKPOINT_FILES),
                                          local_files_only=hub_offline()))
        except Exception as exc:  # LocalEntryNotFoundError, network errors, bad revision
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
            raise InvbenchError(f"cannot get the Chatterbox weights {self.model!r} ({reason}); "
                                "run `invbench prefetch --suite paper` online") from None

    # ------------------------------------------------------------------ vocabulary

    @property
    def device(self) -> torch.device:
        return self.placement.device

    @property
    def token_embeddings(self) -> Tensor:
        return self.tts.t3.text_emb.weight.detach()

    @property
    def prompt_token_mask(self) -> Tensor:
        return self._mask

    @property
    def token_strings(self) -> list[str]:
        return self._strings

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        return [list(self.tts.tokenizer.encode(self._punc_norm(t))) for t in texts]

    def detokenize(self, ids: Sequence[int]) -> str:
        return self.tts.tokenizer.decode([int(i) for i in ids])

    # ------------------------------------------------------------------ generation (scoring)

    def _generate(self, text: str) -> Waveform:
        """One ``ChatterboxTTS.generate`` call under ``seed``, the caller's RNG left untouched."""
        dev = self.device
        gpus = [dev.index if dev.index is not None else torch.cuda.current_device()] \
            if dev.type == "cuda" else []
        with torch.random.fork_rng(devices=gpus):
            torch.manual_seed(self.seed)
            wav = self.tts.generate(text, **self.settings)
        self.watermarked_clips += 1
        # at invbench's scoring rate: Whisper, DNSMOS and the mel distance read 16 kHz and never
        # resample, so the one resampling happens here, recorded in describe()
        native = Waveform(wav.reshape(-1).float().cpu(), int(self.tts.sr))
        return Waveform(resample_to_16k(native).clamp(-1.0, 1.0), S3_SAMPLE_RATE)

    def _run(self, inputs: Sequence[Text]) -> list[Waveform]:
        out = []
        for item in inputs:  # one at a time: a clip never depends on its batch-mates
            if not isinstance(item, Text):
                raise InvalidInversion(f"Chatterbox needs a Text prompt, got "
                                       f"{type(item).__name__}")
            item.validate(self.input_spec)
            [ids] = self.tokenize([item.text])
            if len(ids) > self.input_spec.max_tokens:
                raise InvalidInversion(f"the prompt has {len(ids)} tokens; T3 reads at most "
                                       f"{self.input_spec.max_tokens}")
            out.append(self._generate(item.text))
        return out

    @contextlib.contextmanager
    def _soft_text(self, soft: Tensor) -> Iterator[None]:
        """``generate`` reads ``soft`` as its prompt: tokenizer and ``t3.text_emb`` swapped."""
        t3, tokenizer = self.tts.t3, self.tts.tokenizer
        table = t3.text_emb
        t3.text_emb = SoftTextEmbedding(table, soft, self.hp.start_text_token,
                                        self.hp.stop_text_token, self.placeholder)
        self.tts.tokenizer = PlaceholderTokenizer(len(soft), self.placeholder)
        try:
            yield
        finally:
            t3.text_emb, self.tts.tokenizer = table, tokenizer

    def _run_from_embeddings(self, prompts: Sequence[Tensor]) -> list[Waveform]:
        out = []
        for soft in prompts:
            soft = check_soft_embeddings(soft, self.input_spec)
            with self._soft_text(soft.detach().to(self.device, torch.float32)):
                out.append(self._generate("(soft prompt)"))  # the text is never read
        return out

    # ------------------------------------------------------------------ identity

    @property
    def weights_sha256(self) -> str:
        if self._weights_sha256 is None:
            self._weights_sha256 = folder_weights_sha256(self.folder)
        return self._weights_sha256

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        bf16 = self.device.type == "cuda" and self.placement.dtype == torch.bfloat16
        info.update(
            model=self.model, revision=self.revision, folder=str(self.folder),
            chatterbox_version=importlib.import_module("chatterbox").__version__,
            placement=self.placement.describe(), native_sample_rate=int(self.tts.sr),
            sample_rate=S3_SAMPLE_RATE, resampling="scipy.signal.resample_poly (polyphase), "
                                               "then clipped to [-1, 1]",
            generation={**self.settings, **GENERATE, "seed": self.seed, "voice": "conds.pt",
                        "batching": "one generate call per prompt"},
            watermark=self.watermark, watermarked_clips=self.watermarked_clips,
            text_table={"shape": list(self.token_embeddings.shape),
                        "excluded": list(EXCLUDED_SPECIALS)},
            objective={"definition": OBJECTIVE, "cfg": "none (conditional row only)",
                       "target_resampling": "scipy resample_poly to 16 kHz",
                       "success": "teacher-forced argmax = every target speech token and stop",
                       "precision": "bfloat16 autocast (T3)" if bf16 else "float32"},
        )
        return info

    @staticmethod
    def assets(model: str = DEFAULT_MODEL, revision: str | None = None, **_: Any) -> list[Asset]:
        return [
            PythonPackage(module="chatterbox", install=INSTALL,
                          purpose="Chatterbox-TTS backend (separate install)"),
            HubRepo(repo_id=model, revision=revision, allow_patterns=CHECKPOINT_FILES,
                    purpose="Chatterbox-TTS weights"),
        ]
