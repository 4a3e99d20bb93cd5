"""Build the ``transcripts-mini`` target set for the ASR inversion task.

Each target is a short English sentence written for invbench; its hidden reference is an espeak-ng
rendering, so PESQ/STOI have a clean reference and the whole set can be rebuilt offline, byte for
byte, by anyone with the same espeak-ng version. Run::

    invbench targets build transcripts-mini --check-whisper [--out data/targets/transcripts-mini]

``--check-whisper`` proves every rendering is transcribed exactly by Whisper tiny.en (after
Whisper's English normaliser), so a failed inversion is the inverter's fault, not the target's.
``--verify`` renders every sentence again and checks every file, the manifest included, is
byte-identical (without Whisper: the recorded check is carried over).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from invbench.targets.builders.catalog import SetBuilder, build_command_line
from invbench.targets.builders.command import module_main
from invbench.targets.manifest_writer import MANIFEST, SetWriter, manifest_bytes, manifest_for
from invbench.worlds.target_sentences import SENTENCES

NAME = "transcripts-mini"
VERSION = 1

# Rendering settings. Changing any of them changes every WAV, so it means a new set version.
VOICE = "en-us"
SPEED = 150  # words per minute
PITCH = 50  # espeak-ng's 0..99 scale
ESPEAK_RATE = 22050  # what espeak-ng writes
SAMPLE_RATE = 16000  # what Whisper consumes
RESAMPLE_UP, RESAMPLE_DOWN = 320, 441  # 22050 * 320 / 441 = 16000
PEAK = 0.5  # peak amplitude after normalisation: leaves head-room for inverters' perturbations
TRIM_THRESHOLD = 0.01  # |sample| below this (after normalisation) counts as silence
PAD_SECONDS = 0.1  # silence kept (or added) before the first and after the last loud sample

def espeak_version() -> str:
    """The ``espeak-ng --version`` line: renders are only byte-stable within one version."""
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split("Data at:")[0].strip()  # drop the machine-specific data path


def espeak_command(text: str, wav_path: Path) -> list[str]:
    """The exact espeak-ng call, recorded in the manifest so the set can be rebuilt by hand."""
    return ["espeak-ng", "-v", VOICE, "-s", str(SPEED), "-p", str(PITCH), "-w", str(wav_path), text]


def trim_silence(x: np.ndarray) -> np.ndarray:
    """Cut leading/trailing silence, then keep exactly ``PAD_SECONDS`` of zeros-or-signal each side.

    A fixed margin makes every clip start the same way, so alignment-sensitive metrics (PESQ, STOI)
    do not depend on how much silence espeak-ng happened to emit.
    """
    loud = np.flatnonzero(np.abs(x) >= TRIM_THRESHOLD)
    if loud.size == 0:
        raise ValueError("rendering is silent")
    pad = round(PAD_SECONDS * SAMPLE_RATE)
    start, stop = int(loud[0]) - pad, int(loud[-1]) + 1 + pad
    before, after = max(0, -start), max(0, stop - x.size)
    core = x[max(0, start) : min(x.size, stop)]
    return np.concatenate([np.zeros(before), core, np.zeros(after)])


def render(text: str, workdir: Path) -> np.ndarray:
    """Render ``text`` with espeak-ng and return 16 kHz mono int16 samples, ready to write.

    Quantisation is done here (not by libsndfile) so the bytes depend only on numpy/scipy.
    """
    tmp = workdir / "espeak.wav"
    subprocess.run(espeak_command(text, tmp), check=True, capture_output=True)
    raw, rate = sf.read(tmp, dtype="float64", always_2d=True)
    if rate != ESPEAK_RATE:
        raise RuntimeError(f"espeak-ng wrote {rate} Hz, expected {ESPEAK_RATE} Hz")
    x = resample_poly(raw.mean(axis=1), RESAMPLE_UP, RESAMPLE_DOWN)
    x = x * (PEAK / np.max(np.abs(x)))
    x = trim_silence(x)
    return np.round(x * 32767.0).astype(np.int16)


def wav_bytes(samples: np.ndarray) -> bytes:
    """int16 samples as a 16 kHz mono PCM_16 WAV file's bytes."""
    buffer = io.BytesIO()
    sf.write(buffer, samples, SAMPLE_RATE, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def write_wav(path: Path, samples: np.ndarray) -> None:
    """Write int16 samples as a 16 kHz mono PCM_16 WAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wav_bytes(samples))


def render_to_wav(text: str, path: Path) -> None:
    """Render one sentence straight to a WAV file (used by the reproducibility test)."""
    with tempfile.TemporaryDirectory() as tmp:
        write_wav(path, render(text, Path(tmp)))


def target_id(index: int) -> str:
    """Stable ids ``t000``, ``t001``, ... in sentence order."""
    return f"t{index:03d}"


def check_whisper_transcribes(texts: list[str], audio: list[np.ndarray]) -> dict[str, object]:
    """Transcribe every rendering with Whisper tiny.en; print and summarise normalised errors.

    Arrays go straight to the model because ffmpeg is not a dependency of invbench.
    """
    import jiwer
    import torch
    import whisper
    from whisper.normalizers import EnglishTextNormalizer

    from invbench.models.whisper.convert import ensure_whisper_checkpoint

    model = whisper.load_model(str(ensure_whisper_checkpoint("tiny.en")), device="cpu")
    normalise = EnglishTextNormalizer()
    options = whisper.DecodingOptions(language="en", without_timestamps=True, fp16=False)
    exact, wers = 0, []
    for index, (text, samples) in enumerate(zip(texts, audio, strict=True)):
        wave = torch.from_numpy(samples.astype(np.float32) / 32768.0)
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(wave))
        hyp = normalise(whisper.decode(model, mel, options).text)
        ref = normalise(text)
        wer = jiwer.wer(ref, hyp)
        exact += hyp == ref
        wers.append(wer)
        flag = "ok " if hyp == ref else "BAD"
        print(f"{flag} {target_id(index)} wer={wer:.3f} ref={ref!r} hyp={hyp!r}", file=sys.stderr)
    return {
        "model": "whisper tiny.en",
        "normaliser": "whisper.normalizers.EnglishTextNormalizer",
        "decoding": "language=en, without_timestamps=True, fp16=False, greedy",
        "exact": exact,
        "total": len(texts),
        "mean_wer": round(float(np.mean(wers)), 6),
    }


def render_set(writer: SetWriter) -> list[np.ndarray]:
    """Render every sentence; write ``targets.jsonl`` and the WAVs (in that order, which the
    manifest's file list keeps) through ``writer``; return the samples."""
    with tempfile.TemporaryDirectory() as tmp:
        rendered = [render(text, Path(tmp)) for text in SENTENCES]
    rows = [{"id": target_id(i), "target": {"text": text},
             "hidden": {"audio": f"audio/{target_id(i)}.wav"},
             "metadata": {"words": len(text.split()), "seconds": round(x.size / SAMPLE_RATE, 3)}}
            for i, (text, x) in enumerate(zip(SENTENCES, rendered, strict=True))]
    writer.write_jsonl("targets.jsonl", rows, ensure_ascii=False)
    for i, samples in enumerate(rendered):
        writer.write(f"audio/{target_id(i)}.wav", wav_bytes(samples))
    return rendered


def manifest_facts(check_whisper: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The manifest's entries before its file list and after it (bar ``whisper_check``)."""
    facts = {
        "name": NAME,
        "version": VERSION,
        "description": (
            "Short English sentences (everyday and Shapes-world vocabulary) as ASR inversion "
            "targets; hidden references are espeak-ng renderings at 16 kHz. Sentences and renders "
            "were made for invbench and are dedicated to the public domain (CC0-1.0)."
        ),
        "licence": "CC0-1.0",
        "count": len(SENTENCES),
        "sample_rate": SAMPLE_RATE,
    }
    how_made = {
        "command": build_command_line(NAME, *(["--check-whisper"] if check_whisper else [])),
        "espeak_ng_version": espeak_version(),
        "render": " ".join(espeak_command("<text>", Path("tmp.wav"))),
        "voice": VOICE,
        "speed_wpm": SPEED,
        "pitch": PITCH,
        "resampling": f"scipy.signal.resample_poly(x, {RESAMPLE_UP}, {RESAMPLE_DOWN}): "
        f"{ESPEAK_RATE} -> {SAMPLE_RATE} Hz, channels averaged to mono",
        "normalisation": f"peak amplitude scaled to {PEAK}",
        "trimming": f"silence below |x| < {TRIM_THRESHOLD} trimmed, {PAD_SECONDS} s kept "
        "(zero-padded if needed) before the first and after the last loud sample",
        "encoding": "16-bit PCM WAV, round(x * 32767)",
    }
    return facts, {"how_made": how_made}


def build(out: Path, check_whisper: bool = False) -> dict[str, Any]:
    """Render every sentence, write ``targets.jsonl``, the WAVs and ``manifest.json`` to ``out``."""
    audio_dir = out / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    for stale in audio_dir.glob("t*.wav"):  # a shorter sentence list must not leave orphans
        stale.unlink()
    writer = SetWriter(out)
    rendered = render_set(writer)
    facts, after = manifest_facts(check_whisper)
    if check_whisper:
        after["whisper_check"] = check_whisper_transcribes(list(SENTENCES), rendered)
    return writer.finish(facts, after)


def verify(root: Path) -> list[str]:
    """Render the set again; return the files under ``root`` that are not byte-identical to
    it (the manifest's Whisper check, if recorded, is taken as recorded)."""
    stored = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        writer = SetWriter(Path(tmp))
        render_set(writer)
        bad = [rel for rel in writer.files
               if not (root / rel).is_file() or (root / rel).read_bytes()
               != (Path(tmp) / rel).read_bytes()]
    facts, after = manifest_facts("whisper_check" in stored)
    if "whisper_check" in stored:
        after["whisper_check"] = stored["whisper_check"]
    if manifest_bytes(manifest_for(facts, writer.files, after)) != (root / MANIFEST).read_bytes():
        bad.append(MANIFEST)
    return bad


BUILDER = SetBuilder(NAME, build, verify, options=("check_whisper",), needs=("espeak-ng",))
main = module_main(NAME)


if __name__ == "__main__":
    raise SystemExit(main())
