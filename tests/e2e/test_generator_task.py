"""The generator family end to end on two shipped targets, through the CLI."""

import json
import math

import pandas as pd
from helpers import evaluate_task

INVERTERS = "reference,random-tokens,captioner-bridge,soft-prompt,pez"


def test_generator_task_scores_are_batch_invariant_and_bracketed(generator_include_path, tmp_path):
    one = evaluate_task(generator_include_path, "generator/tiny", INVERTERS, tmp_path / "b1", 1)
    two = evaluate_task(generator_include_path, "generator/tiny", INVERTERS, tmp_path / "b2", 2)
    assert len(one) == 10 and one.keys() == two.keys()
    for key, record in one.items():
        other = two[key]
        assert record["status"] == other["status"] == "ok", (key, record["message"])
        assert record["model_output"] == other["model_output"]
        for name, value in record["scores"].items():
            assert abs(value - other["scores"][name]) <= 1e-6, (key, name)
        prompt = json.loads((tmp_path / "b1" / record["artifacts"]["prompt"]).read_text())
        assert prompt["text"] == record["model_output"]["prompt"]

    by_inverter = {r["inverter"]: r for r in one.values() if r["target_id"] == "gen-000"}
    ref = by_inverter["reference"]["scores"]
    assert ref["clip_image_similarity"] > 0.999 and ref["ssim"] > 0.99  # PNG round trip
    assert ref["prompt_bleu"] == 100.0 and ref["projection_gap"] == 0.0
    assert abs(ref["nearest_token_cosine"] - 1.0) < 1e-6
    assert ref["random_token_cosine"] < 0.5  # the control sits far below real tokens
    soft = by_inverter["soft-prompt"]
    assert "soft_embeddings" in soft["artifacts"] and soft["cost"]["steps"] == 3
    assert soft["scores"]["nearest_token_cosine"] < 1.0
    assert "nearest_token_cosine" not in by_inverter["random-tokens"]["scores"]  # no soft prompt
    assert by_inverter["captioner-bridge"]["scores"]["prompt_bleu"] == 100.0

    table = pd.read_csv(tmp_path / "b1" / "leaderboard.csv").set_index("inverter")
    assert all(math.isfinite(v) for v in table["clip_image_similarity"])
    assert table.loc["reference", "clip_image_similarity"] > table.loc[
        "random-tokens", "clip_image_similarity"]
