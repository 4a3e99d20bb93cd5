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
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
from tqdm.auto import tqdm

from invbench.contracts.errors import InvbenchError
from invbench.contracts.media import Image, Waveform
from invbench.contracts.task_spec import ModelRef, TargetSetRef, TaskSpec
from invbench.contracts.text_input import Text
from invbench.fs.atomic import atomic_write_bytes, sha256_file
from invbench.harness.environment import library_versions, now_iso
from invbench.harness.evaluation import ModelCache
from invbench.targets.manifest_writer import jsonl_bytes, write_manifest
from invbench.targets.target_set import load_target_set, prepared_targets_dir


def _encode(output: Any) -> tuple[str, bytes, dict[str, Any]]:
    """File suffix, bytes and manifest facts of one rendering (PNG for images, float WAV)."""
    from PIL import Image as PILImage

    if isinstance(output, Image):
        pixels = output.pixels.detach().float().clamp(0, 1).cpu()
        array = (pixels.permute(1, 2, 0).numpy() * 255.0).round().astype(np.uint8)
        buffer = io.BytesIO()
        PILImage.fromarray(array, mode="RGB").save(buffer, format="PNG")
        return ".png", buffer.getvalue(), {"image_size": list(array.shape[:2])}
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


def prepare_task_targets(spec: TaskSpec, source_dirs: Sequence[Path], cache: ModelCache,
                         limit: int | None = None, progress: bool = True,
                         log: Callable[[str], None] = print) -> Path:
    """Render and freeze ``spec``'s prepared target set; returns its folder."""
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
    model = cache.get(recipe.render_with)
    shared = root / ".renders" / _model_folder(recipe.render_with)
    rendered, facts = _render_all(model, texts, shared, f"{spec.key} targets", progress)
    pool_rendered: dict[str, str] = {}
    pool_ref = None
    if recipe.pool_options:
        pool_ref = ModelRef(id=recipe.render_with.id,
                            options={**recipe.render_with.options, **recipe.pool_options})
        pool_rendered, _ = _render_all(cache.get(pool_ref), texts,
                                       root / ".renders" / _model_folder(pool_ref),
                                       f"{spec.key} pool", progress)
    if partial.exists():
        shutil.rmtree(partial)
    kind = "image" if next(iter(rendered.values())).endswith(".png") else "audio"
    rows = []
    for item_id, text in texts:
        rel = f"{kind}s/{rendered[item_id]}"
        _copy(shared / rendered[item_id], partial / rel)
        media = {kind: rel}
        target, hidden = (media, {"text": text}) if recipe.layout == "hidden-text" \
            else ({"text": text}, media)
        rows.append({"id": item_id, "target": target, "hidden": hidden,
                     "metadata": {"words": len(text.split())}})
    pool_rows = []
    for item_id, name in pool_rendered.items():
        rel = f"pool/{name}"
        _copy(root / ".renders" / _model_folder(pool_ref) / name, partial / rel)
        pool_rows.append({"id": f"pool-{item_id}", kind: rel})
    _write_jsonl(partial / "targets.jsonl", rows)
    if pool_rows:
        _write_jsonl(partial / "pool.jsonl", pool_rows)
    files = {str(p.relative_to(partial)): sha256_file(p)
             for p in sorted(partial.rglob("*")) if p.is_file()}
    model_info = model.describe() if hasattr(model, "describe") else {}
    manifest = write_manifest(partial, {
        "name": ref.name, "version": ref.version,
        "description": f"{spec.description.strip()} Rendered locally by `{ref.prepared_by}`.",
        "licence": "targets rendered by the user; texts CC0-1.0 (written for invbench); "
                   "model outputs are subject to the model's licence",
        "count": len(rows), **facts,
        **({"pool": "pool.jsonl", "pool_count": len(pool_rows)} if pool_rows else {}),
        "made_by": {"command": ref.prepared_by, "created": now_iso(),
                    "source": f"{source.key} ({source.content_sha256})",
                    "render_with": recipe.render_with.model_dump(mode="json"),
                    "pool_with": pool_ref.model_dump(mode="json") if pool_ref else None,
                    "layout": recipe.layout, "limit": limit,
                    "model": {k: model_info.get(k) for k in ("model_id", "weights_sha256")},
                    "libraries": library_versions()},
    }, files)
    partial.rename(final)
    log(f"{spec.key}: {len(rows)} targets frozen in {final} (content {manifest['content_sha256']})")
    return final


def _model_folder(ref: ModelRef) -> str:
    import hashlib

    return f"{ref.id}-{hashlib.sha256(ref.model_dump_json().encode()).hexdigest()[:12]}"


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    atomic_write_bytes(path, jsonl_bytes(rows))
