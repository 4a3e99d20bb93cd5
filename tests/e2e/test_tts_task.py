"""The tts family end to end on two shipped targets, through the CLI."""

import json
import math

import pandas as pd
from helpers import evaluate_task

INVERTERS = "reference,random-tokens,asr-bridge,soft-prompt,pez"


def test_tts_task_scores_are_batch_invariant_and_bracketed(tts_include_path, tmp_path):
    one = evaluate_task(tts_include_path, "tts/tiny", INVERTERS, tmp_path / "b1", 1)
    two = evaluate_task(tts_include_path, "tts/tiny", INVERTERS, tmp_path / "b2", 2)
    assert len(one) == 10 and one.keys() == two.keys()
    for key, record in one.items():
        other = two[key]
        assert record["status"] == other["status"] == "ok", (key, record["message"])
        assert record["model_output"] == other["model_output"]
        for name, value in record["scores"].items():
            assert abs(value - other["scores"][name]) <= 1e-6, (key, name)
        prompt = json.loads((tmp_path / "b1" / record["artifacts"]["prompt"]).read_text())
        assert prompt["text"] == record["model_output"]["prompt"]

    by_inverter = {r["inverter"]: r for r in one.values() if r["target_id"] == "tts-000"}
    ref = by_inverter["reference"]["scores"]
    assert ref["mel_dtw_distance"] < 1e-3 and ref["projection_gap"] == 0.0  # float WAV targets
    assert ref["prompt_wer"] == 0.0 and abs(ref["nearest_token_cosine"] - 1.0) < 1e-6
    assert 1.0 <= ref["dnsmos_ovrl"] <= 5.0 and "wer" in ref
    soft = by_inverter["soft-prompt"]
    assert "soft_embeddings" in soft["artifacts"] and soft["cost"]["steps"] == 3
    assert "soft_mel_dtw_distance" in soft["scores"] and "soft_wer" in soft["scores"]
    assert soft["scores"]["nearest_token_cosine"] < 1.0
    random_tokens = by_inverter["random-tokens"]["scores"]
    assert "soft_wer" not in random_tokens  # no soft prompt: not scored
    assert random_tokens["mel_dtw_distance"] > ref["mel_dtw_distance"]
    bridge = by_inverter["asr-bridge"]
    assert bridge["model_output"]["transcript"] and bridge["scores"]["prompt_wer"] <= 0.5

    table = pd.read_csv(tmp_path / "b1" / "leaderboard.csv").set_index("inverter")
    assert all(math.isfinite(v) for v in table["mel_dtw_distance"])
    assert table.loc["reference", "mel_dtw_distance"] < table.loc[
        "random-tokens", "mel_dtw_distance"]
