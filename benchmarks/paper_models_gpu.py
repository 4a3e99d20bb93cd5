"""Memory and time per step of the paper models' adapters, with random weights of the real sizes.

The real checkpoints cannot be downloaded on the machines invbench is developed on, so this
script builds each paper model's *architecture* at its published size (BLIP-large's ViT-L/16 at
384 px with its BERT-base decoder; Whisper large-v3's dimensions; FLUX.1-dev's transformer, VAE,
T5-XXL and CLIP-L configs) with random weights, wraps it in invbench's own adapter, and measures
what a researcher needs to plan a run: peak GPU memory, seconds per objective step (forward and
backward, what an inverter pays per step) and seconds per scoring call. Random weights cost the
same FLOPs as trained ones; only generation lengths (BLIP, Whisper decoding until end of text)
depend on the weights, so decoding is timed at a fixed number of tokens and flagged as such.

    python benchmarks/paper_models_gpu.py --device cuda --models whisper,blip,flux
    python benchmarks/paper_models_gpu.py --device cpu --preset tiny   # a smoke run anywhere

Results are printed as JSON lines and written to ``--out`` (one line per model).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "paper")]

from invbench.contracts.media import Image, Waveform  # noqa: E402
from invbench.models.placement import peak_memory, reset_peak_memory  # noqa: E402

WHISPER_DIMS = {  # large-v3 (openai-whisper's ModelDimensions)
    "full": dict(n_mels=128, n_audio_ctx=1500, n_audio_state=1280, n_audio_head=20,
                 n_audio_layer=32, n_vocab=51866, n_text_ctx=448, n_text_state=1280,
                 n_text_head=20, n_text_layer=32),
    "tiny": dict(n_mels=128, n_audio_ctx=1500, n_audio_state=64, n_audio_head=2,
                 n_audio_layer=1, n_vocab=51866, n_text_ctx=448, n_text_state=64,
                 n_text_head=2, n_text_layer=1),
}
BLIP_SIZES = {  # BLIP-large captioning: ViT-L/16 at 384 px, BERT-base decoder
    "full": (dict(image_size=384, patch_size=16, hidden_size=1024, intermediate_size=4096,
                  num_hidden_layers=24, num_attention_heads=16),
             dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                  num_attention_heads=12, encoder_hidden_size=1024)),
    "tiny": (dict(image_size=32, patch_size=8, hidden_size=32, intermediate_size=64,
                  num_hidden_layers=2, num_attention_heads=2),
             dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=2, encoder_hidden_size=32)),
}


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _timed(fn, device: str, repeats: int) -> float:
    fn()  # warm-up (kernels, caches)
    _sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    _sync(device)
    return (time.perf_counter() - start) / repeats


def _step(model, x, targets, **options):
    def go():
        x.grad = None
        model.objective(x, targets, **options).loss.sum().backward()
    return go


def bench_whisper(preset: str, device: str, work: Path, repeats: int) -> dict:
    from whisper.model import ModelDimensions, Whisper

    from invbench.models.whisper.asr import WhisperASR

    torch.manual_seed(0)
    with torch.device(device):
        model = Whisper(ModelDimensions(**WHISPER_DIMS[preset]))
        with torch.no_grad():  # openai-whisper leaves it uninitialised (torch.empty)
            model.decoder.positional_embedding.normal_(0.0, 0.02)
        state = model.state_dict()
        del model
    path = work / "whisper-large-v3-random.pt"
    torch.save({"dims": WHISPER_DIMS[preset], "model_state_dict": state}, path)
    del state
    reset_peak_memory(device)
    t0 = time.perf_counter()
    asr = WhisperASR(name=str(path), device=device)
    load = time.perf_counter() - t0
    x = (0.05 * torch.randn(1, 4 * 16000, device=device)).requires_grad_(True)
    targets = [{"text": "the quick brown fox jumps over the lazy dog"}]
    full = _timed(_step(asr, x, targets), device, repeats)
    fit = _timed(_step(asr, x, targets, encoder_frames="fit"), device, repeats)
    wave = Waveform(x.detach()[0].cpu(), 16000)
    scoring = _timed(lambda: asr.run([wave]), device, 1)
    return {"model": "whisper large-v3 (random weights)", "load_s": load,
            "objective_step_s": full, "objective_step_fit_s": fit,
            "run_s_per_item": scoring, "run_note": "random weights: decoding length arbitrary",
            "placement": asr.placement.describe() if hasattr(asr, "placement") else None,
            **peak_memory(device)}


def bench_blip(preset: str, device: str, work: Path, repeats: int) -> dict:
    from tiny_blip import build_tiny_blip  # the tiny tokenizer and processor, resized here
    from transformers import BlipConfig, BlipForConditionalGeneration, BlipProcessor

    from invbench.models.paper.blip import BlipCaptioner

    folder = build_tiny_blip(work / "blip")
    processor = BlipProcessor.from_pretrained(folder)
    vision, text = BLIP_SIZES[preset]
    config = BlipConfig.from_pretrained(folder)
    config.vision_config.update(vision)
    config.text_config.update(text)
    size = vision["image_size"]
    processor.image_processor.size = {"height": size, "width": size}
    torch.manual_seed(0)
    BlipForConditionalGeneration(config).save_pretrained(folder)
    processor.save_pretrained(folder)
    reset_peak_memory(device)
    t0 = time.perf_counter()
    blip = BlipCaptioner(model=str(folder), device=device, max_new_tokens=30)
    load = time.perf_counter() - t0
    x = torch.rand(1, 3, size, size, device=device, requires_grad=True)
    targets = ["a brown dog carrying a red ball across a wet lawn"]
    step = _timed(_step(blip, x, targets), device, repeats)
    scoring = _timed(lambda: blip.run([Image(x.detach()[0].cpu())]), device, 1)
    return {"model": "BLIP-large architecture (random weights)", "load_s": load,
            "objective_step_s": step, "run_s_per_item": scoring,
            "run_note": "greedy, at most 30 new tokens", "placement": blip.placement.describe(),
            **peak_memory(device)}


def bench_flux(preset: str, device: str, work: Path, repeats: int, size: int) -> dict:
    from tiny_flux import build_components

    from invbench.models.paper.flux import FluxGenerator
    from invbench.models.placement import resolve_placement

    dtype = resolve_placement(device).dtype
    t0 = time.perf_counter()
    pipe = build_components(preset, dtype=dtype, device=device)
    reset_peak_memory(device)
    flux = FluxGenerator.from_pipeline(pipe, steps=4, height=size, width=size,
                                       max_sequence_length=512 if preset == "full" else 16,
                                       device=device)
    load = time.perf_counter() - t0
    length = min(16, flux.input_spec.max_tokens)
    ids = torch.nonzero(flux.prompt_token_mask).flatten()[:length].tolist()
    soft = flux.embed(ids).detach().clone()[None].requires_grad_(True)
    [target] = flux.run_from_embeddings([soft[0].detach()])
    step = _timed(_step(flux, soft, [target]), device, repeats)
    scoring = _timed(lambda: flux.run_from_embeddings([soft[0].detach()]), device, repeats)
    return {"model": f"FLUX.1-dev architecture (random weights), {size}x{size}, 4 steps",
            "build_s": load, "objective_step_s": step, "run_s_per_item": scoring,
            "prompt_tokens": len(ids), "placement": flux.placement.describe(),
            **peak_memory(device)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--preset", default="full", choices=["full", "tiny"])
    parser.add_argument("--models", default="whisper,blip,flux")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--flux-size", type=int, default=384)
    parser.add_argument("--out", type=Path, default=Path("paper_models_gpu.jsonl"))
    args = parser.parse_args()
    info = {"torch": torch.__version__,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
    with tempfile.TemporaryDirectory() as tmp, args.out.open("a") as out:
        for name in args.models.split(","):
            bench = {"whisper": bench_whisper, "blip": bench_blip}.get(name)
            row = (bench(args.preset, args.device, Path(tmp), args.repeats) if bench else
                   bench_flux(args.preset, args.device, Path(tmp), args.repeats, args.flux_size))
            row.update(info, preset=args.preset)
            line = json.dumps({k: round(v, 3) if isinstance(v, float) else v
                               for k, v in row.items()})
            print(line, flush=True)
            out.write(line + "\n")
            out.flush()
            if args.device.startswith("cuda"):
                torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
