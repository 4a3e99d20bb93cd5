"""FLUX.1 as the generator forward model, offline, on a tiny random pipeline (``tiny_flux``).

Every test loads through ``FluxGenerator(model=<folder>)``, i.e. ``FluxPipeline.from_pretrained``,
the path the real ``black-forest-labs/FLUX.1-dev`` takes; only the sizes differ. The key check is
that the adapter's differentiable sampler reproduces ``FluxPipeline.__call__`` itself (same
embeddings and latents, and, for a text, the pipeline's own noise for the same seed): what the
inverters optimise is then what the real pipeline would generate.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tiny_flux import build_tiny_flux

from invbench.assets.kinds import HubRepo
from invbench.contracts import Budget, Image, InvbenchError, InversionProblem, Target
from invbench.contracts.errors import InvalidInversion
from invbench.contracts.text_input import Text, nearest_tokens
from invbench.inverters.pez import PEZ
from invbench.inverters.soft_prompt import SoftPrompt
from invbench.models.paper import flux_sampling
from invbench.models.paper.flux import FluxGenerator
from invbench.models.weights_identity import folder_weights_sha256

SIZE, STEPS, MAX_SEQ = 32, 2, 16
ALIGNED = "a red cat on the square"  # one CLIP piece per T5 token
SPLIT = "sunflower moonbeam"  # one T5 token each, two CLIP pieces each


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(2)
    return build_tiny_flux(tmp_path_factory.mktemp("tiny-flux"))


@pytest.fixture(scope="module")
def flux(folder: Path) -> FluxGenerator:
    return FluxGenerator(model=str(folder), height=SIZE, width=SIZE, steps=STEPS,
                         max_sequence_length=MAX_SEQ)


def pipeline_image(flux: FluxGenerator, **kwargs) -> torch.Tensor:
    """``FluxPipeline.__call__`` itself at the adapter's settings."""
    return flux.pipe(num_inference_steps=STEPS, guidance_scale=flux.guidance, height=SIZE,
                     width=SIZE, max_sequence_length=MAX_SEQ, output_type="pt",
                     **kwargs).images[0]


def test_loads_with_diffusers_and_declares_the_pipeline(flux: FluxGenerator, folder: Path):
    t5 = flux.pipe.text_encoder_2.config.d_model
    clip = flux.pipe.text_encoder.config.hidden_size
    spec = flux.input_spec
    assert (spec.vocab_size, spec.embedding_dim) == (len(flux.token_embeddings), t5 + clip)
    assert spec.max_tokens == min(MAX_SEQ - 1, 77 - 2)
    assert flux.model_id == f"flux:{folder}" and flux.output_modality == "image"
    assert flux.weights_sha256 == folder_weights_sha256(folder)
    info = flux.describe()
    assert info["placement"] == {"device": "cpu", "dtype": "float32", "cpu_offload": False}
    assert (info["steps"], info["height"], info["guidance"]) == (STEPS, SIZE, 3.5)
    assert len(info["schedule"]["sigmas"]) == STEPS + 1 and info["schedule"]["sigmas"][-1] == 0
    assert FluxGenerator.assets(model=str(folder)) == [HubRepo(repo_id=str(folder))]
    assert "licence" in FluxGenerator.assets()[0].purpose
    assert all(not p.requires_grad for p in flux.pipe.transformer.parameters())
    assert flux.pipe.transformer.gradient_checkpointing


def test_the_sampler_is_flux_pipeline_call(flux: FluxGenerator):
    states, pooled, _ = flux.pipe.encode_prompt(prompt=ALIGNED, prompt_2=None,
                                                max_sequence_length=MAX_SEQ)
    with torch.no_grad():
        ours = flux._sample(states, pooled)[0]
    theirs = pipeline_image(flux, prompt_embeds=states, pooled_prompt_embeds=pooled,
                            latents=flux.latents.clone())
    assert ours.shape == (3, SIZE, SIZE) and torch.allclose(ours, theirs, atol=1e-6)
    # the fixed noise is the pipeline's own draw for a CPU generator seeded with ``seed``
    [image] = flux.run([Text(ALIGNED)])
    text_call = pipeline_image(flux, prompt=ALIGNED,
                               generator=torch.Generator("cpu").manual_seed(flux.seed))
    assert torch.allclose(image.pixels, text_call, atol=1e-6)
    # with gradients on (checkpointing active) the sampler computes the same image
    ids = flux.tokenize([ALIGNED])[0]
    soft = flux.embed(ids)
    with torch.enable_grad():
        grad_image = flux.generate(soft.clone().requires_grad_(True))[0]
    assert torch.allclose(grad_image.detach(), flux.run_from_embeddings([soft])[0].pixels,
                          atol=1e-6)


def test_run_images_are_batch_independent_and_fixed_by_the_seed(flux: FluxGenerator):
    prompts = [Text(ALIGNED), Text("a small blue dog in the sky")]
    together = flux.run(prompts)
    alone = [flux.run([p])[0] for p in prompts]
    for image in together:
        assert isinstance(image, Image) and image.pixels.shape == (3, SIZE, SIZE)
        assert image.pixels.min() >= 0 and image.pixels.max() <= 1
    assert all(torch.equal(a.pixels, b.pixels) for a, b in zip(together, alone, strict=True))
    assert not torch.equal(together[0].pixels, together[1].pixels)
    same = FluxGenerator.from_pipeline(flux.pipe, height=SIZE, width=SIZE, steps=STEPS,
                                       max_sequence_length=MAX_SEQ)
    other = FluxGenerator.from_pipeline(flux.pipe, height=SIZE, width=SIZE, steps=STEPS,
                                        max_sequence_length=MAX_SEQ, seed=1)
    assert torch.equal(same.run([prompts[0]])[0].pixels, together[0].pixels)
    assert not torch.allclose(other.run([prompts[0]])[0].pixels, together[0].pixels, atol=1e-3)
    assert same.model_id == "flux:in-memory" and len(same.weights_sha256) == 64


def test_soft_rows_of_a_prompt_match_the_hard_path_where_the_tokenizers_agree(flux):
    pipe = flux.pipe
    for text, clip_agrees in [(ALIGNED, True), (SPLIT, False)]:
        ids = flux.tokenize([text])[0]
        soft = flux.embed(ids)[None]
        with torch.no_grad():
            states, pooled = flux_sampling.encode_soft(pipe, *flux.encoder_rows(soft), MAX_SEQ)
            hard_states, hard_pooled, _ = pipe.encode_prompt(text, None,
                                                             max_sequence_length=MAX_SEQ)
        assert torch.equal(states, hard_states)  # T5: the same rows, the same framing
        assert torch.allclose(pooled, hard_pooled, atol=1e-6) == clip_agrees, text
        [hard] = flux.run([Text(text)])
        [from_soft] = flux.run_from_embeddings([soft[0]])
        assert torch.allclose(hard.pixels, from_soft.pixels, atol=1e-6) == clip_agrees


def test_the_objective_is_zero_at_the_prompt_that_made_the_target(flux: FluxGenerator):
    g = torch.Generator().manual_seed(3)
    prompt = flux.token_embeddings[flux.prompt_token_mask][:5] + 0.1 * torch.randn(5, 64,
                                                                                   generator=g)
    [target] = flux.run_from_embeddings([prompt])
    before = flux.calls.snapshot()
    x = prompt[None].clone().requires_grad_(True)
    result = flux.objective(x, [Target("t", {"image": target})])
    assert result.loss.dtype == torch.float32 and result.loss.item() < 1e-10
    assert bool(result.success[0])
    start = torch.randn(2, 5, 64, generator=g, requires_grad=True)
    result = flux.objective(start, [target, {"image": target}])
    assert result.loss.shape == (2,) and not result.success.any()
    result.loss.sum().backward()
    assert start.grad is not None and start.grad[0].abs().sum() > 0
    assert flux.calls.snapshot() == (before[0] + 3, before[1] + 2)
    assert all(p.grad is None for p in flux.pipe.transformer.parameters())


def _problem(flux: FluxGenerator, target: Image, steps: int) -> InversionProblem:
    return InversionProblem(task="generator/tiny-flux", family="generator",
                            targets=[Target("t0", {"image": target})], forward=flux,
                            budget=Budget(max_steps=steps), seed=0)


def test_soft_prompt_and_pez_invert_the_tiny_flux(flux: FluxGenerator):
    [target] = flux.run([Text(ALIGNED)])
    before = flux.calls.snapshot()
    # both halves of the joint table are on a unit scale, so soft-prompt's default step works
    [inv] = SoftPrompt(steps=6, length=4).invert(_problem(flux, target, 6))
    assert isinstance(inv.x, Text)
    assert inv.soft_embeddings.shape == (4, flux.input_spec.embedding_dim)
    assert len(inv.token_ids) == 4 and all(bool(flux.prompt_token_mask[i]) for i in inv.token_ids)
    assert len(inv.loss_trace) == 6 and inv.loss_trace[-1] < 0.9 * inv.loss_trace[0]
    assert inv.info["best_loss"] == min(inv.loss_trace)
    assert flux.calls.forward - before[0] == 6 and flux.calls.backward - before[1] == 6
    [hard] = PEZ(steps=2, length=3).invert(_problem(flux, target, 2))
    assert len(hard.token_ids) == 3 and len(hard.loss_trace) == 2
    assert all(bool(flux.prompt_token_mask[i]) for i in hard.token_ids)
    assert flux.run([hard.x])[0].pixels.shape == (3, SIZE, SIZE)


def test_the_joint_table_projects_a_prompt_onto_its_own_tokens(flux: FluxGenerator):
    ids = flux.tokenize([f"{ALIGNED} {SPLIT}"])[0]
    projected, cosine = nearest_tokens(flux.embed(ids), flux.token_embeddings,
                                       flux.prompt_token_mask)
    assert projected.tolist() == ids and torch.allclose(cosine, torch.ones(len(ids)))
    assert flux.detokenize(ids) == f"{ALIGNED} {SPLIT}"
    tok, mask, strings = flux.pipe.tokenizer_2, flux.prompt_token_mask, flux.token_strings
    assert len(strings) == len(mask) == len(flux.token_embeddings) > len(tok)
    assert not mask[len(tok):].any() and not mask[tok.all_special_ids].any()
    assert not mask[tok.convert_tokens_to_ids("▁")]  # no CLIP piece: masked
    assert strings[ids[1]] == "red" and strings[tok.convert_tokens_to_ids("ing")] == "##ing"
    clip_rows = flux.pipe.text_encoder.get_input_embeddings().weight
    pieces = flux.pipe.tokenizer("sunflower", add_special_tokens=False)["input_ids"]
    d5 = flux.pipe.text_encoder_2.config.d_model
    t5_half, clip_half = flux.encoder_rows(flux.embed(flux.tokenize(["sunflower"])[0]))
    assert torch.allclose(clip_half[0], clip_rows[pieces].mean(0))
    assert t5_half.shape[-1] == d5
    # each half is on a unit scale (within the factor √2 a power of two allows)
    table = flux.token_embeddings[flux.prompt_token_mask]
    for half in (table[:, :d5], table[:, d5:]):
        assert 0.7 < float(half.std()) < 1.42


def test_bad_inputs_are_refused_with_one_line(flux: FluxGenerator, monkeypatch):
    dim, most = flux.input_spec.embedding_dim, flux.input_spec.max_tokens
    with pytest.raises(InvalidInversion, match="expected"):
        flux.run_from_embeddings([torch.zeros(3, dim + 1)])
    with pytest.raises(InvalidInversion, match="tokens"):
        flux.run_from_embeddings([torch.zeros(most + 1, dim)])
    with pytest.raises(InvalidInversion, match="T5 tokens"):
        flux.run([Text(" ".join(["cat"] * MAX_SEQ))])
    with pytest.raises(InvbenchError, match=r"\(3, 32, 32\)"):
        flux.objective(torch.zeros(1, 2, dim), [Image(torch.zeros(3, 16, 16))])
    with pytest.raises(InvbenchError, match="no options"):
        flux.objective(torch.zeros(1, 2, dim), [Image(torch.zeros(3, 32, 32))], steps=3)
    with pytest.raises(InvbenchError, match="multiples of 16"):
        FluxGenerator.from_pipeline(flux.pipe, height=40, width=32)
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(InvbenchError) as caught:
        FluxGenerator(model="invbench-test/no-such-flux")
    message = str(caught.value)
    assert "\n" not in message and "invbench-test/no-such-flux" in message
    assert "invbench prefetch --suite paper" in message and "local folder" in message
