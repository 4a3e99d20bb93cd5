"""``invbench prepare``: render a task's target set with the real model and freeze it.

Some targets can only exist where the model runs: the generator's target images are what
FLUX.1-dev draws from the hidden captions, the TTS's target clips what Chatterbox speaks. The
task spec says how (``targets.prepare``: a shipped source text set, the model and its options, a
layout); this module renders every source text once per model (a caption drawn for the generator
task is the same image the captioner task uses as its reference), writes PNG/WAV files, and
freezes the set with the sha256 of every file into ``<cache>/targets/<name>/``.

Work survives a crash: renders go to ``<name>.partial/`` and a re-run keeps what is there; the
set appears under its name only once complete (one rename).
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import soundfile
from tqdm.auto import tqdm

from invbench.contracts.errors import InvbenchError
from invbench.contracts.forward_model import ForwardModel
from invbench.contracts.media import Image, Waveform
from invbench.contracts.task_spec import ModelRef, TargetSetRef, TaskSpec
from invbench.contracts.text_input import Text
from invbench.fs.atomic import atomic_write_bytes, sha256_file
from invbench.fs.cache import prepared_targets_dir
from invbench.fs.png import png_from_pixels
from invbench.store.stamps import library_versions, now_iso
from invbench.targets.manifest_writer import jsonl_bytes, write_manifest
from invbench.targets.target_set import TargetSet, load_target_set


def _encode(output: Any) -> tuple[str, bytes, dict[str, Any]]:
    """File suffix, bytes and manifest facts of one rendering (PNG for images, float WAV)."""
    if isinstance(output, Image):
        pixels = output.pixels.detach().float()
        return ".png", png_from_pixels(pixels), {"image_size": list(pixels.shape[1:])}
    if isinstance(output, Waveform):
        buffer = io.BytesIO()
        samples = output.samples.detach().float().cpu().numpy()
        soundfile.write(buffer, samples, output.sample_rate, "FLOAT", format="WAV")
        return ".wav", buffer.getvalue(), {"sample_rate": output.sample_rate}
    raise InvbenchError(f"cannot store a rendering of type {type(output).__name__}")


def _render_all(model: Any, texts: Sequence[tuple[str, str]], folder: Path, what: str,
                progress: bool) -> tuple[dict[str, str], dict[str, Any]]:
    """Render each (id, text) into ``folder`` unless a previous run already did."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    facts: dict[str, Any] = {}
    for item_id, text in tqdm(texts, desc=what, unit="item", disable=not progress):
        done = sorted(folder.glob(f"{item_id}.*"))
        if done:
            files[item_id] = done[0].name
            facts = facts or _facts_of(done[0])
            continue
        [output] = model.run([Text(text)])
        suffix, data, item_facts = _encode(output)
        if facts and item_facts != facts:
            raise InvbenchError(f"{what}: {item_id} rendered as {item_facts}, earlier items as "
                                f"{facts}; a target set needs one size / sample rate")
        facts = item_facts
        atomic_write_bytes(folder / f"{item_id}{suffix}", data)
        files[item_id] = f"{item_id}{suffix}"
    return files, facts


def _facts_of(path: Path) -> dict[str, Any]:
    if path.suffix == ".wav":
        return {"sample_rate": soundfile.info(str(path)).samplerate}
    from PIL import Image as PILImage

    with PILImage.open(path) as handle:
        return {"image_size": [handle.height, handle.width]}


ModelProvider = Callable[[ModelRef], ForwardModel]
"""Builds (or reuses) the forward model a ``ModelRef`` names; ``invbench prepare`` passes the
harness's model cache, so a model two tasks render with is loaded once."""


@dataclass
class _Renders:
    """What one preparation rendered: each item's file under ``folder`` (and the pool's)."""

    folder: Path
    files: dict[str, str]
    facts: dict[str, Any]
    model: ForwardModel
    pool_ref: ModelRef | None = None
    pool_files: dict[str, str] = field(default_factory=dict)


def prepare_task_targets(spec: TaskSpec, source_dirs: Sequence[Path], models: ModelProvider,
                         limit: int | None = None, progress: bool = True,
                         log: Callable[[str], None] = print) -> Path:
    """Render and freeze ``spec``'s prepared target set; returns its folder. ``models`` builds
    the renderer a ``ModelRef`` names (e.g. ``ModelCache(device).get``)."""
    ref: TargetSetRef = spec.targets
    recipe = ref.prepare
    if recipe is None:
        raise InvbenchError(f"task {spec.key}: its target set {ref.name!r} is not prepared "
                            "locally (it ships with invbench)")
    root = prepared_targets_dir()
    final, partial = root / ref.name, root / f"{ref.name}.partial"
    if (final / "manifest.json").is_file():
        log(f"{spec.key}: {final} already exists (delete it to render again)")
        return final
    source = load_target_set(recipe.source, source_dirs)
    items = source.items[:limit] if limit else source.items
    texts = [(item.id, item.target["text"]) for item in items]
    renders = _render_sets(spec, texts, models, root, progress)
    if partial.exists():
        shutil.rmtree(partial)
    rows, pool_rows = _assemble(renders, texts, recipe.layout, partial, root)
    _write_jsonl(partial / "targets.jsonl", rows)
    if pool_rows:
        _write_jsonl(partial / "pool.jsonl", pool_rows)
    manifest = _manifest(spec, source, renders, partial, len(rows), len(pool_rows), limit)
    partial.rename(final)
    log(f"{spec.key}: {len(rows)} targets frozen in {final} (content {manifest['content_sha256']})")
    return final


def _render_sets(spec: TaskSpec, texts: Sequence[tuple[str, str]], models: ModelProvider,
                 root: Path, progress: bool) -> _Renders:
    """Render the targets (and the pool, when the recipe asks for one) into the shared
    ``.renders/`` folders, one per model and options."""
    recipe = spec.targets.prepare
    model = models(recipe.render_with)
    shared = root / ".renders" / _model_folder(recipe.render_with)
    files, facts = _render_all(model, texts, shared, f"{spec.key} targets", progress)
    renders = _Renders(shared, files, facts, model)
    if recipe.pool_options:
        renders.pool_ref = ModelRef(id=recipe.render_with.id,
                                    options={**recipe.render_with.options, **recipe.pool_options})
        renders.pool_files, _ = _render_all(models(renders.pool_ref), texts,
                                            root / ".renders" / _model_folder(renders.pool_ref),
                                            f"{spec.key} pool", progress)
    return renders


def _assemble(renders: _Renders, texts: Sequence[tuple[str, str]], layout: str, partial: Path,
              root: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Copy the renders into ``partial`` and write each target's row in the recipe's layout:
    ``hidden-text`` shows the media and hides the text, otherwise the other way round."""
    kind = "image" if next(iter(renders.files.values())).endswith(".png") else "audio"
    rows = []
    for item_id, text in texts:
        rel = f"{kind}s/{renders.files[item_id]}"
        _copy(renders.folder / renders.files[item_id], partial / rel)
        media = {kind: rel}
        target, hidden = (media, {"text": text}) if layout == "hidden-text" \
            else ({"text": text}, media)
        rows.append({"id": item_id, "target": target, "hidden": hidden,
                     "metadata": {"words": len(text.split())}})
    pool_rows = []
    for item_id, name in renders.pool_files.items():
        rel = f"pool/{name}"
        _copy(root / ".renders" / _model_folder(renders.pool_ref) / name, partial / rel)
        pool_rows.append({"id": f"pool-{item_id}", kind: rel})
    return rows, pool_rows


def _manifest(spec: TaskSpec, source: TargetSet, renders: _Renders, partial: Path, count: int,
              pool_count: int, limit: int | None) -> dict[str, Any]:
    """Write the frozen set's manifest (what made it, and the sha256 of every file in
    ``partial``) and return it."""
    ref, recipe = spec.targets, spec.targets.prepare
    files = {str(p.relative_to(partial)): sha256_file(p)
             for p in sorted(partial.rglob("*")) if p.is_file()}
    model_info = renders.model.describe() if hasattr(renders.model, "describe") else {}
    pool_ref = renders.pool_ref
    return write_manifest(partial, {
        "name": ref.name, "version": ref.version,
        "description": f"{spec.description.strip()} Rendered locally by `{ref.prepared_by}`.",
        "licence": "targets rendered by the user; texts CC0-1.0 (written for invbench); "
                   "model outputs are subject to the model's licence",
        "count": count, **renders.facts,
        **({"pool": "pool.jsonl", "pool_count": pool_count} if pool_count else {}),
        "made_by": {"command": ref.prepared_by, "created": now_iso(),
                    "source": f"{source.key} ({source.content_sha256})",
                    "render_with": recipe.render_with.model_dump(mode="json"),
                    "pool_with": pool_ref.model_dump(mode="json") if pool_ref else None,
                    "layout": recipe.layout, "limit": limit,
                    "model": {k: model_info.get(k) for k in ("model_id", "weights_sha256")},
                    "libraries": library_versions()},
    }, files)


def _model_folder(ref: ModelRef) -> str:
    import hashlib

    return f"{ref.id}-{hashlib.sha256(ref.model_dump_json().encode()).hexdigest()[:12]}"


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    atomic_write_bytes(path, jsonl_bytes(rows))
