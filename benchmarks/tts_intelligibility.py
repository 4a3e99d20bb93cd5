"""How intelligible is the mini-TTS next to espeak-ng, its teacher, on held-out sentences?

Renders the first ``--n`` distinct test-split speech-world sentences (``--seed``) with the
shipped ``tts`` and with espeak-ng, transcribes both with Whisper tiny.en (greedy, the standard
30-second window) and prints the pooled WER of each (Whisper's English normaliser) and their
ratio. The recipe's manifest measures the first 60 sentences of seed 0; this measures as many as
you like. Needs espeak-ng (as the recipe does).

Run: ``python benchmarks/tts_intelligibility.py [--n 200] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import json

from invbench.contracts.text_input import Text
from invbench.metrics.text_error import corpus_wer
from invbench.models.whisper.asr import WhisperASR
from invbench.models.zoo.mini_tts import MiniTTS
from invbench.recipes.tts_corpus import espeak_waveform
from invbench.worlds.speech_world import split_sentences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tts", default="tts", help="zoo name or folder")
    args = parser.parse_args()
    sentences = split_sentences("test", args.n, args.seed)
    asr = WhisperASR("tiny.en")
    tts_wer = corpus_wer(asr.run(MiniTTS(args.tts).run([Text(s) for s in sentences])), sentences)
    espeak = corpus_wer(asr.run([espeak_waveform(s) for s in sentences]), sentences)
    print(json.dumps({"sentences": len(sentences), "seed": args.seed, "tts_wer": round(tts_wer, 4),
                      "espeak_wer": round(espeak, 4),
                      "ratio": round(tts_wer / espeak, 3) if espeak else None}))


if __name__ == "__main__":
    main()
