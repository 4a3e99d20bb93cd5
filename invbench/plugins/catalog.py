"""The registries and the built-in entries, listed lazily so that listing names stays cheap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from invbench.plugins.registry import Registry

INVERTERS: Registry[Any] = Registry("inverter", entry_point_group="invbench.inverters")
FORWARD_MODELS: Registry[Any] = Registry("forward model")
METRICS: Registry[Any] = Registry("metric")

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

FORWARD_MODELS.add("whisper", "invbench.models.whisper.asr:WhisperASR")
FORWARD_MODELS.add("shapes-captioner", "invbench.models.zoo.shapes_captioner:ShapesCaptioner")
FORWARD_MODELS.add("shapes-generator", "invbench.models.zoo.shapes_generator:ShapesGenerator")
FORWARD_MODELS.add("mini-tts", "invbench.models.zoo.mini_tts:MiniTTS")
FORWARD_MODELS.add("blip", "invbench.models.paper.blip:BlipCaptioner")
FORWARD_MODELS.add("flux", "invbench.models.paper.flux:FluxGenerator")
FORWARD_MODELS.add("chatterbox", "invbench.models.paper.chatterbox:ChatterboxTTSModel")

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


def register_inverter(name: str) -> Callable[[Any], Any]:
    """Register an inverter class in-process: ``@register_inverter("my-method")``."""
    return INVERTERS.register(name)
