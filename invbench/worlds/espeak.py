"""espeak-ng in-process, with the time at which each word starts (the TTS recipe's aligner).

The mini-TTS learns how long each token lasts, so its training speech needs word boundaries.
libespeak-ng reports a WORD event with the sample position at which every word begins; reading
them through ``ctypes`` gives exact boundaries without a separate forced aligner. Only the
training recipe needs espeak-ng (``ensure_espeak`` installs the Debian package when it is
missing); evaluation never does.

Example (needs espeak-ng)::

    speech = render("The red circle.")
    speech.sample_rate, [w.text for w in speech.words]   # (16000, ['The', 'red', 'circle'])
"""

from __future__ import annotations

import ctypes
import ctypes.util
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np
from scipy.signal import resample_poly

from invbench.contracts.errors import InvbenchError

VOICE = "en-us"
SPEED = 150  # words per minute, as the ASR targets (invbench.targets.builders.transcripts_mini)
PITCH = 50
ESPEAK_RATE = 22050
SAMPLE_RATE = 16000
RESAMPLE_UP, RESAMPLE_DOWN = 320, 441  # 22050 * 320 / 441 = 16000

# speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED, _EVENT_WORD = 0, 1
_RATE, _PITCH = 1, 3


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based character index of the word
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # milliseconds
        ("sample", ctypes.c_int),  # sample index at ESPEAK_RATE
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class Word:
    text: str
    start_char: int  # 0-based offset into the rendered text
    start_sample: int  # at SAMPLE_RATE


@dataclass(frozen=True)
class Speech:
    samples: np.ndarray  # float32 mono at SAMPLE_RATE
    sample_rate: int
    words: tuple[Word, ...]


def ensure_espeak() -> None:
    """Install espeak-ng with apt-get when its library is missing (the recipe's one system
    dependency); raise a one-line error when that is not possible."""
    if ctypes.util.find_library("espeak-ng"):
        return
    apt = shutil.which("apt-get")
    if apt is None:
        raise InvbenchError("the TTS recipe needs espeak-ng (libespeak-ng); install it first")
    for command in ([apt, "update"], [apt, "install", "-y", "espeak-ng"]):
        if subprocess.run(command, check=False).returncode != 0:
            raise InvbenchError(f"could not install espeak-ng: `{' '.join(command)}` failed")


class _Engine:
    """One initialised libespeak-ng (the library is a process-wide singleton)."""

    def __init__(self) -> None:
        ensure_espeak()
        self.lib = ctypes.CDLL(ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1")
        rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, 0)
        if rate != ESPEAK_RATE:
            raise InvbenchError(f"espeak-ng reports {rate} Hz, expected {ESPEAK_RATE} Hz")
        if self.lib.espeak_SetVoiceByName(VOICE.encode()) != 0:
            raise InvbenchError(f"espeak-ng has no voice {VOICE!r}")
        self.lib.espeak_SetParameter(_RATE, SPEED, 0)
        self.lib.espeak_SetParameter(_PITCH, PITCH, 0)
        self.chunks: list[np.ndarray] = []
        self.events: list[tuple[int, int, int]] = []
        self._callback = _CALLBACK(self._collect)  # keep a reference: the library calls it
        self.lib.espeak_SetSynthCallback(self._callback)
        self.version = self._version()

    def _version(self) -> str:
        self.lib.espeak_Info.restype = ctypes.c_char_p
        return (self.lib.espeak_Info(None) or b"?").decode()

    def _collect(self, wav, count, events) -> int:
        if count > 0:
            self.chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_WORD:
                self.events.append((event.text_position - 1, event.length, event.sample))
            i += 1
        return 0

    def synthesise(self, text: str) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
        self.chunks, self.events = [], []
        data = text.encode()
        self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        self.lib.espeak_Synchronize()
        samples = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int16)
        return samples.astype(np.float32) / 32768.0, list(self.events)


_ENGINE: _Engine | None = None


def engine() -> _Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Engine()
    return _ENGINE


def espeak_version() -> str:
    return engine().version


def render(text: str) -> Speech:
    """``text`` spoken by espeak-ng, resampled to 16 kHz, with the start of every word.
    ASCII text only (the word offsets are character offsets)."""
    if not text.isascii():
        raise InvbenchError(f"the espeak renderer takes ASCII text, got {text!r}")
    raw, events = engine().synthesise(text)
    samples = resample_poly(raw, RESAMPLE_UP, RESAMPLE_DOWN).astype(np.float32)
    scale = RESAMPLE_UP / RESAMPLE_DOWN
    # espeak-ng also reports an empty "word" where a clause ends: not a word of the text
    words = tuple(
        Word(text[start : start + length], start, int(round(sample * scale)))
        for start, length, sample in events
        if any(c.isalnum() for c in text[start : start + length])
    )
    return Speech(samples, SAMPLE_RATE, words)
