"""Chatterbox-TTS's objective: teacher-forced cross-entropy of a target clip's speech tokens.

**The objective** bypasses sampling, S3Gen and the watermark (gradients only): the target clip is
resampled to 16 kHz (``scipy.signal.resample_poly``) and tokenised by the model's own S3 tokenizer;
the loss is the mean teacher-forced cross-entropy of those speech tokens and the stop token under
T3, conditioned on the built-in voice and the framed soft rows, laid out as ``T3.inference`` lays
out its input (:func:`speech_teacher_forcing`), without CFG. ``success``: the argmax at every
position is the target token (the sampler — temperature, min-p, CFG, repetition penalty — may
still emit others).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from invbench.contracts.errors import InvbenchError
from invbench.contracts.forward_model import ObjectiveResult
from invbench.models.paper.chatterbox_parts import (
    S3_SAMPLE_RATE,
    frame_soft_rows,
    resample_to_16k,
    speech_teacher_forcing,
    target_waveform,
)

OBJECTIVE = ("teacher-forced CE of the target's S3 speech tokens under T3 given the text "
             "embeddings; bypasses sampling, S3Gen vocoding and the Perth watermark (gradients "
             "only); scoring uses the full generate path, watermarked")


class SpeechTokenObjective:
    """The objective half of :class:`~invbench.models.paper.chatterbox.ChatterboxTTSModel`,
    which provides the loaded ``tts``, its T3 hyperparameters ``hp``, ``placement``, ``device``,
    ``settings`` and ``check_objective_input``."""

    tts: Any
    hp: Any
    placement: Any
    settings: dict[str, float]
    device: torch.device

    def _target_speech_tokens(self, target: Any) -> Tensor:
        """The S3 speech tokens ``(n,)`` of a target clip, by the model's own tokenizer."""
        wav16 = resample_to_16k(target_waveform(target))
        tokens, lens = self.tts.s3gen.tokenizer.forward([wav16], max_len=None)
        tokens = tokens[0, : int(lens[0])].to(self.device)
        if not 1 <= len(tokens) < self.hp.max_speech_tokens:
            raise InvbenchError(f"a target clip of {len(wav16) / S3_SAMPLE_RATE:.2f} s gives "
                                f"{len(tokens)} speech tokens; T3 takes 1 to "
                                f"{self.hp.max_speech_tokens - 1}")
        return tokens

    def _conditioning(self) -> Tensor:
        """T3's conditioning rows ``(1, len_cond, D)`` for the built-in voice, as ``generate``
        builds them for ``exaggeration`` (a fresh ``T3Cond``: the shared one is not touched)."""
        from chatterbox.models.t3.modules.cond_enc import T3Cond

        base = self.tts.conds.t3
        cond = T3Cond(speaker_emb=base.speaker_emb,
                      cond_prompt_speech_tokens=base.cond_prompt_speech_tokens,
                      emotion_adv=self.settings["exaggeration"] * torch.ones(1, 1, 1),
                      ).to(device=self.device)
        with torch.no_grad():
            return self.tts.t3.prepare_conditioning(cond).float()

    def _t3_speech_logits(self, cond: Tensor, soft: Tensor, speech_ids: Tensor,
                          positions: Tensor) -> Tensor:
        """T3's speech logits ``(n + 2, V)`` for one prompt: ``[cond | framed text + text pos |
        speech + speech pos]`` through the Llama backbone and ``speech_head``."""
        t3 = self.tts.t3
        text = frame_soft_rows(t3.text_emb.weight, soft, self.hp.start_text_token,
                               self.hp.stop_text_token)[None]
        text = text + t3.text_pos_emb(text)
        speech = t3.speech_emb(speech_ids[None]) + t3.speech_pos_emb.get_fixed_embedding(
            positions[None].to(self.device))
        embeds = torch.cat([cond, text, speech], dim=1)
        autocast = self.placement.dtype == torch.bfloat16 and self.device.type == "cuda"
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            hidden = t3.tfmr(inputs_embeds=embeds, use_cache=False, output_hidden_states=True,
                             return_dict=True).hidden_states[-1]
            logits = t3.speech_head(hidden[0, -len(speech_ids):])
        return logits.float()

    def _objective(self, x: Tensor, targets: Sequence[Any], **options: Any) -> ObjectiveResult:
        """Per-item mean teacher-forced CE (see the module docstring) of each target clip's
        speech tokens given the soft prompts ``x`` ``(B, L, D)``."""
        self.check_objective_input(x, targets, options, "Chatterbox", finite=True)
        cond = self._conditioning()
        losses, success = [], []
        for soft, target in zip(x, targets, strict=True):  # one T3 pass per item
            ids, positions, labels = speech_teacher_forcing(
                self._target_speech_tokens(target), self.hp.start_speech_token,
                self.hp.stop_speech_token)
            logits = self._t3_speech_logits(cond, soft.to(self.device, torch.float32),
                                            ids.to(self.device), positions)
            labels = labels.to(self.device)
            losses.append(F.cross_entropy(logits, labels, ignore_index=-100))
            scored = labels != -100
            success.append(bool((logits.detach().argmax(-1) == labels)[scored].all()))
        return ObjectiveResult(loss=torch.stack(losses), success=torch.tensor(success))
