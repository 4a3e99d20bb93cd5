"""The text normaliser applied to both sides of every text-error metric.

Whisper's :class:`~whisper.normalizers.EnglishTextNormalizer` (Radford et al., 2022, appendix C)
lower-cases, removes punctuation and filler words ("um", "uh"), standardises spellings (British to
American) and writes numbers and currency as digits ("twenty-five dollars" → "$25"), so that a
transcript is not penalised for formatting. Its behaviour depends on the openai-whisper release
(the spelling table ships with it), hence :data:`NORMALIZER_NAME` records that release for metric
signatures.

Example:
    >>> from invbench.metrics.text_normalizer import normalize
    >>> normalize("It's twenty-five dollars, Mr. Smith!")
    'it is $25 mister smith'
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any


def _whisper_version() -> str:
    try:
        return version("openai-whisper")
    except PackageNotFoundError:  # pragma: no cover - whisper is a hard dependency
        return "unknown"


NORMALIZER_NAME = f"whisper-english-{_whisper_version()}"
"""The normaliser's name and release, as written into signatures (``norm:<this>``)."""


@lru_cache(maxsize=1)
def get_normalizer() -> Any:
    """The process-wide Whisper English normaliser (built once; it loads a spelling table)."""
    from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()


def normalize(text: str) -> str:
    """Normalise ``text`` with Whisper's English rules and collapse whitespace.

    The result has no leading or trailing space and single spaces between words, so splitting on
    whitespace gives exactly the words jiwer's default WER transform would see.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a str, got {type(text).__name__}")
    return " ".join(get_normalizer()(text).split())
