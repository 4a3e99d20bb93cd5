"""Train the mini text-to-speech model (the ``tts`` zoo recipe).

Speech-world sentences (``invbench.worlds.speech_world``, train split) are rendered by espeak-ng
and aligned to their MiniLM tokens (``invbench.recipes.tts_corpus``); the network
(``invbench.models.zoo.tts_net``) learns, from the frozen token-table rows, each token's duration
and
the log magnitude of the sentence's STFT: an L1 loss on the log magnitude and on the log-mel
(what the inversion objective compares) plus a squared error on ``log(1 + frames)``.
Weights are an exponential moving average of the trained ones, stored as float16 (the model
computes in float32; quality is measured on the rounded weights).

Quality is the word error rate with which Whisper tiny.en transcribes the model's renderings
(Griffin-Lim) of distinct test-split sentences, never seen in training; the WER of espeak-ng's own
renderings of the same sentences is recorded beside it. Same seed, same machine, a fresh process:
bit-identical weights (espeak-ng's output depends on what the process rendered before it).

    invbench zoo train tts
    invbench zoo train tts --out /tmp/t --set steps=300   # experiments
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from invbench.models.zoo.tts_net import ARCHITECTURE, TTSConfig, TTSNet, log_magnitude
from invbench.models.zoo.tts_net import log_mel_from_log_magnitude as to_log_mel
from invbench.recipes.catalog import save_zoo_model
from invbench.recipes.settings import (
    learning_rate,
    output_folder,
    recipe_record,
    resolve_settings,
)
from invbench.recipes.training_loop import (
    LoopOutcome,
    Optimiser,
    adamw,
    run_training,
    training_session,
)
from invbench.recipes.tts_corpus import AlignedSentence, build_corpus

SETTINGS: dict[str, Any] = {
    "steps": 4000,
    "batch_size": 16,
    "train_sentences": 10000,
    "lr": 5e-4,
    "min_lr": 1e-5,
    "warmup_steps": 200,
    "weight_decay": 0.01,
    "grad_clip": 1.0,
    "ema": 0.998,
    "duration_weight": 1.0,
    "val_every": 500,
    "val_sentences": 24,
    "test_sentences": 60,
    "threads": 2,
}
QUICK: dict[str, Any] = {
    "steps": 3, "batch_size": 2, "train_sentences": 8, "warmup_steps": 1, "val_every": 3,
    "val_sentences": 2, "test_sentences": 2,
}


class Batches:
    """Seeded per-epoch permutations of the corpus, as padded tensors."""

    def __init__(self, corpus: list[AlignedSentence], table: torch.Tensor, seed: int,
                 batch_size: int) -> None:
        self.corpus, self.table, self.batch_size = corpus, table, batch_size
        self.rng = np.random.default_rng(seed)
        self.order: list[int] = []

    def batch(self) -> dict[str, torch.Tensor]:
        if len(self.order) < self.batch_size:
            self.order += self.rng.permutation(len(self.corpus)).tolist()
        picked = [self.corpus[i] for i in self.order[: self.batch_size]]
        del self.order[: self.batch_size]
        return collate(picked, self.table)


def collate(items: list[AlignedSentence], table: torch.Tensor) -> dict[str, torch.Tensor]:
    b = len(items)
    length = max(len(a.token_ids) for a in items)
    ids = torch.zeros(b, length, dtype=torch.long)
    durations = torch.zeros(b, length, dtype=torch.long)
    mask = torch.zeros(b, length, dtype=torch.bool)
    spectra = [log_magnitude(torch.from_numpy(a.samples)) for a in items]
    frames = max(s.shape[0] for s in spectra)
    target = torch.zeros(b, frames, spectra[0].shape[1])
    frame_mask = torch.zeros(b, frames, dtype=torch.bool)
    for i, (a, s) in enumerate(zip(items, spectra, strict=True)):
        n = len(a.token_ids)
        ids[i, :n] = torch.tensor(a.token_ids)
        durations[i, :n] = torch.tensor(a.durations)
        mask[i, :n] = True
        target[i, : s.shape[0]] = s
        frame_mask[i, : s.shape[0]] = True
    return {"embeddings": table[ids], "mask": mask, "durations": durations, "target": target,
            "frame_mask": frame_mask}


def losses(net: TTSNet, batch: dict[str, torch.Tensor], settings: dict[str, Any]):
    predicted, frames, log_duration = net(batch["embeddings"], batch["mask"], batch["durations"])
    target = batch["target"][:, : predicted.shape[1]]
    m = frames & batch["frame_mask"][:, : predicted.shape[1]]
    spectrum = (predicted - target).abs()[m].mean()
    mel = (to_log_mel(predicted) - to_log_mel(target)).abs()[m].mean()
    wanted = torch.log1p(batch["durations"].float())
    duration = F.mse_loss(log_duration[batch["mask"]], wanted[batch["mask"]])
    total = spectrum + mel + settings["duration_weight"] * duration
    return total, {"spectrum": spectrum.item(), "mel": mel.item(), "duration": duration.item()}


def half_precision(net: TTSNet) -> dict[str, torch.Tensor]:
    """Round ``net``'s weights to float16 in place (they are stored so, to keep the file under
    20 MB; the model computes in float32) and return them as stored."""
    stored = {k: v.half() for k, v in net.state_dict().items()}
    net.load_state_dict({k: v.float() for k, v in stored.items()})
    return stored


def whisper_wer(net: TTSNet, sentences: list[str], table: torch.Tensor, tokenizer) -> dict:
    """Whisper tiny.en's corpus WER on the model's renderings of ``sentences``."""
    from invbench.contracts.media import Waveform
    from invbench.metrics.text_error import corpus_wer
    from invbench.models.whisper.asr import WhisperASR
    from invbench.models.zoo.mini_tts import synthesise

    asr = WhisperASR("tiny.en")
    net.eval()
    ids = tokenizer(sentences, add_special_tokens=False)["input_ids"]
    waves = [Waveform(synthesise(net, table[torch.tensor(i)])[0], 16000) for i in ids]
    transcripts = asr.run(waves)
    return {"wer": round(corpus_wer(transcripts, sentences), 4), "examples": transcripts[:3]}


def espeak_wer(sentences: list[str]) -> float:
    """Whisper tiny.en's corpus WER on espeak-ng's own renderings of ``sentences``."""
    from invbench.metrics.text_error import corpus_wer
    from invbench.models.whisper.asr import WhisperASR
    from invbench.recipes.tts_corpus import espeak_waveform

    asr = WhisperASR("tiny.en")
    return round(corpus_wer(asr.run([espeak_waveform(s) for s in sentences]), sentences), 4)


def fit(
    settings: dict[str, Any], config: TTSConfig, seed: int, name: str, minutes: float | None,
    minilm: Any,
) -> tuple[TTSNet, LoopOutcome, dict[str, Any]]:
    """Build the corpus and train; return the weight average, the loop's outcome and the
    corpus facts the manifest records."""
    from invbench.worlds.speech_world import split_sentences

    table = minilm.token_embeddings.detach()
    started = time.perf_counter()
    corpus, dropped = build_corpus(
        split_sentences("train", settings["train_sentences"], seed), minilm.tokenizer
    )
    facts = {"corpus_seconds": round(time.perf_counter() - started, 1),
             "corpus_sentences": len(corpus), "corpus_dropped": dropped}
    val_sentences = split_sentences("validation", settings["val_sentences"], seed)
    net = TTSNet(config)
    ema = copy.deepcopy(net).requires_grad_(False)
    optimizer = adamw(net, settings["lr"], settings["weight_decay"])
    batches = Batches(corpus, table, seed, settings["batch_size"])

    def step_loss(step: int) -> tuple[torch.Tensor, dict[str, str]]:
        loss, parts = losses(net, batches.batch(), settings)
        return loss, {k: f"{v:.3f}" for k, v in parts.items()}

    def validate(steps: int) -> tuple[dict[str, Any], str]:
        scores = whisper_wer(ema, val_sentences, table, minilm.tokenizer)
        return ({"step": steps, "validation_whisper_wer": scores["wer"]},
                f"validation Whisper WER {scores}")

    optimiser = Optimiser(net, optimizer, lambda step: learning_rate(step, settings),
                          settings["grad_clip"], ema=ema, ema_decay=settings["ema"])
    outcome = run_training(name, settings["steps"], step_loss, optimiser, started=started,
                           minutes=minutes, val_every=settings["val_every"], validate=validate)
    return ema, outcome, facts


def train(
    out_dir: Path | None = None,
    seed: int = 0,
    name: str = "tts",
    minutes: float | None = None,
    quick: bool = False,
    **overrides: Any,
) -> dict[str, Any]:
    """Train the mini-TTS and write it to ``out_dir`` (default ``data/models/<name>``)."""
    from invbench.models.minilm import load_minilm
    from invbench.worlds.espeak import espeak_version
    from invbench.worlds.speech_world import split_sentences

    settings, config = resolve_settings(SETTINGS, QUICK, TTSConfig, quick, overrides)
    out_dir = output_folder(out_dir, name, quick)
    with training_session(settings["threads"]):
        torch.manual_seed(seed)
        minilm = load_minilm()
        ema, outcome, facts = fit(settings, config, seed, name, minutes, minilm)
        shipped = half_precision(ema)  # measure the weights as they ship
        test_sentences = split_sentences("test", settings["test_sentences"], seed)
        table = minilm.token_embeddings.detach()
        scores = whisper_wer(ema, test_sentences, table, minilm.tokenizer)
        reference_wer = espeak_wer(test_sentences)
        manifest = save_zoo_model(
            out_dir,
            name=name,
            architecture=ARCHITECTURE,
            config=config.to_dict(),
            state_dict=shipped,
            recipe=recipe_record(
                name, "invbench.recipes.tts:train", seed, seed, quick, minutes, settings, config
            ),
            quality={
                "whisper_wer": scores["wer"],
                "espeak_whisper_wer": reference_wer,
                "asr": "whisper tiny.en, greedy; texts through Whisper's English normaliser",
                "test_sentences": len(test_sentences),
                "split": "test",
                "examples": scores["examples"],
                "validation": outcome.history,
            },
            training=outcome.training_record(settings["batch_size"], **facts,
                                             espeak_ng=espeak_version()),
        )
    print(
        f"{name}: Whisper WER {scores['wer']:.3f} on {len(test_sentences)} test sentences "
        f"(espeak-ng itself: {reference_wer:.3f}), {outcome.seconds / 60:.1f} min -> {out_dir}"
    )
    return manifest
