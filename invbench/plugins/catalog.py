"""The plug-in registries and their built-in entries, listed lazily so listing names stays cheap.

Each registry reads one entry-point group, so an installed package extends invbench with no file
of invbench edited: ``invbench.inverters``, ``invbench.models`` (forward models and the judges
metrics use), ``invbench.metrics``, ``invbench.families`` and ``invbench.tasks`` (task packs).
In-process code registers with :func:`register_inverter`, :func:`register_model` and
:func:`register_metric`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from invbench.plugins.registry import Registry
from invbench.plugins.task_packs import resolve_task_pack

INVERTERS: Registry[Any] = Registry("inverter", entry_point_group="invbench.inverters")
# a model factory is called as MODELS.get(id)(**options, device=device)
MODELS: Registry[Any] = Registry("model", entry_point_group="invbench.models")
FORWARD_MODELS = MODELS  # the older name, kept for callers outside invbench
# a metric factory is called as METRICS.get(id)(**options)
METRICS: Registry[Any] = Registry("metric", entry_point_group="invbench.metrics")
# a family adapter class is called as FAMILIES.get(family)(judges)
FAMILIES: Registry[Any] = Registry("task family", entry_point_group="invbench.families")
# a task pack resolves to a folder read like an --include-path folder
TASK_PACKS: Registry[Any] = Registry("task pack", entry_point_group="invbench.tasks",
                                     resolve=resolve_task_pack)

for _name, _spec in {
    "waveform-adam": "invbench.inverters.waveform_adam:WaveformAdam",
    "waveform-perturb": "invbench.inverters.waveform_perturb:WaveformPerturb",
    "pixels-adam": "invbench.inverters.pixels_adam:PixelsAdam",
    "pixels-perturb": "invbench.inverters.pixels_perturb:PixelsPerturb",
    "random-search": "invbench.inverters.random_search:RandomSearch",
    "reference": "invbench.inverters.reference:Reference",
    "noise": "invbench.inverters.noise:Noise",
    "soft-prompt": "invbench.inverters.soft_prompt:SoftPrompt",
    "pez": "invbench.inverters.pez:PEZ",
    "random-tokens": "invbench.inverters.random_tokens:RandomTokens",
    "captioner-bridge": "invbench.inverters.captioner_bridge:CaptionerBridge",
    "generator-bridge": "invbench.inverters.generator_bridge:GeneratorBridge",
    "asr-bridge": "invbench.inverters.asr_bridge:ASRBridge",
    "tts-bridge": "invbench.inverters.tts_bridge:TTSBridge",
}.items():
    INVERTERS.add(_name, _spec)

for _name, _spec in {
    "whisper": "invbench.models.whisper.asr:WhisperASR",
    "shapes-captioner": "invbench.models.zoo.shapes_captioner:ShapesCaptioner",
    "shapes-generator": "invbench.models.zoo.shapes_generator:ShapesGenerator",
    "mini-tts": "invbench.models.zoo.mini_tts:MiniTTS",
    "blip": "invbench.models.paper.blip:BlipCaptioner",
    "flux": "invbench.models.paper.flux:FluxGenerator",
    "chatterbox": "invbench.models.paper.chatterbox:ChatterboxTTSModel",
    # judges of the image metrics (CLIPScore, FID/KID, ...): loader(device=...) -> a judge CLIP
    "mini-clip": "invbench.models.zoo.mini_clip:load_mini_clip",
    "mini-clip-judge": "invbench.models.zoo.mini_clip:load_mini_clip_judge",
    "openclip-vit-l-14": "invbench.models.judges.openclip:load_openclip_judge",
    "inception-v3-fid": "invbench.models.judges.inception:load_inception_judge",
}.items():
    MODELS.add(_name, _spec)

for _name, _spec in {
    "wer": "invbench.metrics.text_error:WordErrorRate",
    "cer": "invbench.metrics.text_error:CharErrorRate",
    "exact_match": "invbench.metrics.text_error:ExactMatch",
    "dnsmos": "invbench.metrics.dnsmos:DNSMOS",
    "pesq_wb": "invbench.metrics.pesq_wb:PESQWideband",
    "stoi": "invbench.metrics.stoi:STOI",
    "snr": "invbench.metrics.snr:PerturbationSNR",
    "bleu": "invbench.metrics.text_overlap:BLEU",
    "chrf": "invbench.metrics.text_overlap:ChrF",
    "semantic_similarity": "invbench.metrics.semantic_similarity:SemanticSimilarity",
    "consistency_margin": "invbench.metrics.consistency_margin:ConsistencyMargin",
    "ssim": "invbench.metrics.image_similarity:SSIM",
    "psnr": "invbench.metrics.image_similarity:PSNR",
    "clip_score": "invbench.metrics.clip_score:CLIPScore",
    "fid_kid": "invbench.metrics.image_distribution:ImageDistribution",
    "clip_image_similarity": "invbench.metrics.clip_image_similarity:CLIPImageSimilarity",
    "projection_gap": "invbench.metrics.clip_image_similarity:ProjectionGap",
    "nearest_token_cosine": "invbench.metrics.token_interpretability:NearestTokenCosine",
    "token_validity": "invbench.metrics.token_interpretability:TokenValidity",
    "mel_dtw_distance": "invbench.metrics.spectral_distance:MelDTWDistance",
    "mel_projection_gap": "invbench.metrics.spectral_distance:MelProjectionGap",
    "lpips": "invbench.metrics.lpips_distance:LPIPS",
}.items():
    METRICS.add(_name, _spec)

for _name, _spec in {
    "asr": "invbench.families.asr:ASRFamily",
    "captioner": "invbench.families.captioner:CaptionerFamily",
    "generator": "invbench.families.generator:GeneratorFamily",
    "tts": "invbench.families.tts:TTSFamily",
}.items():
    FAMILIES.add(_name, _spec)


def register_inverter(name: str) -> Callable[[Any], Any]:
    """Register an inverter class in-process: ``@register_inverter("my-method")``."""
    return INVERTERS.register(name)


def register_model(name: str) -> Callable[[Any], Any]:
    """Register a forward-model (or judge) factory: ``@register_model("my-asr")``; it is called
    as ``factory(**options, device=device)``."""
    return MODELS.register(name)


def register_metric(name: str) -> Callable[[Any], Any]:
    """Register a metric class: ``@register_metric("my_metric")``; it is called as
    ``factory(**options)``."""
    return METRICS.register(name)
