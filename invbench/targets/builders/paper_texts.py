"""Build the ``captions-paper`` and ``sentences-paper`` text target sets of the ``paper`` suite.

Every text was written for invbench (none is taken from a dataset) and is dedicated to the
public domain (CC0-1.0). They live in :mod:`~invbench.targets.builders.paper_captions` and
:mod:`~invbench.targets.builders.paper_sentences`, their single source of truth:

* ``CAPTIONS``: 120 short captions of everyday photographs, in the plain style an image
  captioner such as BLIP writes. They are the targets of ``captioner/paper`` and the hidden
  prompts of the ``generator/paper`` targets, whose images FLUX.1-dev renders from them
  (``invbench prepare --suite paper``).
* ``SENTENCES``: 120 everyday English sentences for speech. They are the targets of
  ``asr/paper`` and the hidden texts of the ``tts/paper`` clips, which Chatterbox renders from
  them (``invbench prepare``).

Run::

    invbench targets build captions-paper sentences-paper [--root data/targets] [--verify]

to write ``data/targets/captions-paper`` and ``data/targets/sentences-paper`` (``python -m
invbench.targets.builders.paper_texts`` does both). ``--verify`` rebuilds a set in memory and
checks that the files on disk are byte-identical to it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from functools import partial
from pathlib import Path
from typing import Any

from invbench.fs.atomic import atomic_write_bytes
from invbench.targets.builders.catalog import SetBuilder, build_command_line
from invbench.targets.builders.command import module_main
from invbench.targets.builders.paper_captions import CAPTIONS
from invbench.targets.builders.paper_sentences import SENTENCES
from invbench.targets.manifest_writer import (
    MANIFEST,
    jsonl_bytes,
    manifest_bytes,
    manifest_for,
)

VERSION = 1
LICENCE = "CC0-1.0 (written for invbench)"

# name -> (texts, id prefix, description)
SETS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "captions-paper": (
        CAPTIONS,
        "cap",
        "Captions of everyday photographs in the plain style of an image captioner, written for "
        "invbench: the targets of captioner/paper and the hidden prompts of generator/paper "
        "(whose images FLUX.1-dev renders via `invbench prepare --suite paper`)",
    ),
    "sentences-paper": (
        SENTENCES,
        "sen",
        "Everyday English sentences written for invbench: the targets of asr/paper and the "
        "hidden texts of the tts/paper clips (which Chatterbox renders via `invbench prepare`)",
    ),
}


def set_files(name: str) -> dict[str, bytes]:
    """The exact bytes of set ``name``'s ``targets.jsonl`` and ``manifest.json``."""
    texts, prefix, description = SETS[name]
    rows = [{"id": f"{prefix}-{i:03d}", "target": {"text": text}, "hidden": {},
             "metadata": {"words": len(text.split())}} for i, text in enumerate(texts)]
    targets = jsonl_bytes(rows)
    manifest = manifest_for(
        {"name": name, "version": VERSION, "description": description, "licence": LICENCE,
         "count": len(rows), "made_by": {"command": build_command_line(name)}},
        {"targets.jsonl": hashlib.sha256(targets).hexdigest()},
    )
    return {"targets.jsonl": targets, MANIFEST: manifest_bytes(manifest)}


def build(name: str, out: Path) -> dict[str, Any]:
    """Write set ``name`` into ``out``; return its manifest."""
    files = set_files(name)
    for rel, data in files.items():  # targets.jsonl first, manifest last
        atomic_write_bytes(out / rel, data)
    return json.loads(files[MANIFEST])


def verify(name: str, out: Path) -> list[str]:
    """Rebuild set ``name`` in memory; return its files in ``out`` that are missing or differ."""
    return [rel for rel, data in set_files(name).items()
            if not (out / rel).is_file() or (out / rel).read_bytes() != data]


CAPTIONS_PAPER = SetBuilder("captions-paper", partial(build, "captions-paper"),
                            partial(verify, "captions-paper"))
SENTENCES_PAPER = SetBuilder("sentences-paper", partial(build, "sentences-paper"),
                             partial(verify, "sentences-paper"))
main = module_main(*SETS)


if __name__ == "__main__":
    sys.exit(main())
