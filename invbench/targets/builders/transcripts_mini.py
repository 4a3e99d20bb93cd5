"""Build the ``transcripts-mini`` target set for the ASR inversion task.

Each target is a short English sentence written for invbench; its hidden reference is an espeak-ng
rendering, so PESQ/STOI have a clean reference and the whole set can be rebuilt offline, byte for
byte, by anyone with the same espeak-ng version. Run::

    python -m invbench.targets.builders.transcripts_mini --out data/targets/transcripts-mini
    --check-whisper

``--check-whisper`` proves every rendering is transcribed exactly by Whisper tiny.en (after
Whisper's English normaliser), so a failed inversion is the inverter's fault, not the target's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from invbench.fs.atomic import sha256_file
from invbench.targets.target_set import content_sha256
from invbench.worlds.target_sentences import SENTENCES

NAME = "transcripts-mini"
VERSION = 1
DEFAULT_OUT = Path("data/targets") / NAME

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


def write_wav(path: Path, samples: np.ndarray) -> None:
    """Write int16 samples as a 16 kHz mono PCM_16 WAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, samples, SAMPLE_RATE, subtype="PCM_16", format="WAV")


def render_to_wav(text: str, path: Path) -> None:
    """Render one sentence straight to a WAV file (used by the reproducibility test)."""
    with tempfile.TemporaryDirectory() as tmp:
        write_wav(path, render(text, Path(tmp)))


def target_id(index: int) -> str:
    """Stable ids ``t000``, ``t001``, ... in sentence order."""
    return f"t{index:03d}"


def check_whisper(texts: list[str], audio: list[np.ndarray]) -> dict[str, object]:
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


def build(out: Path, with_whisper: bool = False) -> dict[str, object]:
    """Render every sentence, write ``targets.jsonl``, the WAVs and ``manifest.json`` to ``out``."""
    audio_dir = out / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    for stale in audio_dir.glob("t*.wav"):  # a shorter sentence list must not leave orphans
        stale.unlink()
    rendered: list[np.ndarray] = []
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, text in enumerate(SENTENCES):
            samples = render(text, Path(tmp))
            rel = f"audio/{target_id(index)}.wav"
            write_wav(out / rel, samples)
            rendered.append(samples)
            record = {
                "id": target_id(index),
                "target": {"text": text},
                "hidden": {"audio": rel},
                "metadata": {
                    "words": len(text.split()),
                    "seconds": round(samples.size / SAMPLE_RATE, 3),
                },
            }
            lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    (out / "targets.jsonl").write_text("".join(lines), encoding="utf-8")
    rels = ["targets.jsonl"] + [f"audio/{target_id(i)}.wav" for i in range(len(SENTENCES))]
    files = {rel: sha256_file(out / rel) for rel in rels}
    manifest: dict[str, object] = {
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
        "files": files,
        "content_sha256": content_sha256(files),
        "how_made": {
            "command": f"python -m invbench.targets.builders.transcripts_mini --out {DEFAULT_OUT}"
            + (" --check-whisper" if with_whisper else ""),
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
        },
    }
    if with_whisper:
        manifest["whisper_check"] = check_whisper(list(SENTENCES), rendered)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: build the set and print a one-line summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--check-whisper", action="store_true", help="verify Whisper tiny.en transcribes every clip"
    )
    args = parser.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        parser.error("espeak-ng is not on PATH (apt-get install espeak-ng)")
    manifest = build(args.out, with_whisper=args.check_whisper)
    summary = f"{manifest['count']} targets -> {args.out} (content {manifest['content_sha256']})"
    if "whisper_check" in manifest:
        check = manifest["whisper_check"]
        summary += f"; whisper exact {check['exact']}/{check['total']}, WER {check['mean_wer']}"
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
