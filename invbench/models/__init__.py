"""Forward models (what an inverter inverts) and judges (models that score a recovered input).

- ``zoo/``: the mini zoo's networks and their wrappers (weights shipped in ``data/models``);
- ``whisper/``: Whisper, tiny.en for ``mini`` and large-v3 for ``paper``, and its conversion;
- ``paper/``: the paper suite's BLIP, FLUX.1-dev and Chatterbox-TTS;
- ``judges/``: the paper suite's open_clip CLIP and Inception FID feature extractor;
- beside them, what several models share: the MiniLM text encoder (``minilm``), device and
  precision placement (``placement``), reading a target's payload (``target_payload``) and the
  sha256 that names loaded weights (``weights_identity``).

Each is registered by id in :mod:`invbench.plugins.catalog` as a lazy ``"module:Class"``, so
listing names never pays for torch-heavy imports.
"""
