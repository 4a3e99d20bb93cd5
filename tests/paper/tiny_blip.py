"""A tiny, randomly initialised BLIP captioner saved the way the hub checkpoint is laid out.

``build_tiny_blip(folder)`` writes ``config.json`` + safetensors weights
(``BlipForConditionalGeneration.save_pretrained``) and a ``BlipProcessor`` (BERT WordPiece
tokenizer + BLIP image processor) into one folder, so tests load it through the same
``from_pretrained`` path as ``Salesforce/blip-image-captioning-large``, offline and in seconds.

The tokenizer mirrors the real one: an uncased BERT vocabulary with ``[DEC]`` *added* as the
bos token (so its id is the vocabulary size, as 30522 is in the real checkpoint), and the text
config's bos/sep/pad ids point at ``[DEC]``/``[SEP]``/``[PAD]``. The vocabulary has only
lowercase whole words (no ``##`` pieces, no punctuation), so a decoded caption re-tokenises to
exactly the ids that were generated. Random weights would caption every image with special
tokens or never stop, so the LM head's bias is set to forbid the special tokens and to make
``[SEP]`` likely enough that greedy captions end after a few words; the vision and text
weights use a large init scale so different images get different captions.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import BertTokenizer, BlipConfig, BlipForConditionalGeneration, BlipProcessor

try:  # recent transformers name the PIL-backed processor so (the main environment's)
    from transformers import BlipImageProcessorPil
except ImportError:  # transformers 5.2 (the paper lane's pin): BlipImageProcessor is that one
    from transformers import BlipImageProcessor as BlipImageProcessorPil

IMAGE_SIZE = 32
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
WORDS = (
    "a", "an", "the", "of", "on", "in", "with", "and", "two", "three", "cat", "dog", "bird",
    "car", "tree", "house", "red", "blue", "green", "small", "large", "sitting", "standing",
    "picture", "photo", "table", "grass", "sky", "water", "road", "man", "woman", "ball",
)
OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
SEP_BIAS = 6.0  # with the init below, greedy captions end after a few words
SEED = 0


def build_tokenizer() -> BertTokenizer:
    """An uncased BERT tokenizer over ``SPECIALS + WORDS`` with ``[DEC]`` added as bos."""
    vocab = {token: i for i, token in enumerate((*SPECIALS, *WORDS))}
    tokenizer = BertTokenizer(vocab=vocab, do_lower_case=True)
    tokenizer.add_special_tokens({"bos_token": "[DEC]"})
    return tokenizer


def build_tiny_blip(folder: str | Path) -> Path:
    """Write a tiny BLIP captioner (model + processor) into ``folder`` and return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    ids = tokenizer.convert_tokens_to_ids
    text = {
        "vocab_size": len(tokenizer), "hidden_size": 32, "intermediate_size": 64,
        "num_hidden_layers": 2, "num_attention_heads": 2, "encoder_hidden_size": 32,
        "max_position_embeddings": 64, "initializer_range": 0.5,
        "bos_token_id": ids("[DEC]"), "sep_token_id": ids("[SEP]"), "pad_token_id": ids("[PAD]"),
        "eos_token_id": ids("[SEP]"),
    }
    vision = {
        "image_size": IMAGE_SIZE, "patch_size": 8, "hidden_size": 32, "intermediate_size": 64,
        "num_hidden_layers": 2, "num_attention_heads": 2, "initializer_range": 0.5,
    }
    torch.manual_seed(SEED)
    model = BlipForConditionalGeneration(BlipConfig(text_config=text, vision_config=vision))
    with torch.no_grad():
        bias = model.text_decoder.cls.predictions.bias
        bias.zero_()
        for token in (*SPECIALS, "[DEC]"):
            bias[ids(token)] = -30.0
        bias[ids("[SEP]")] = SEP_BIAS
    model.save_pretrained(folder)
    image_processor = BlipImageProcessorPil(
        size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
        image_mean=list(OPENAI_CLIP_MEAN), image_std=list(OPENAI_CLIP_STD),
    )
    BlipProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
    return folder
