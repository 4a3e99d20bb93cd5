"""The evaluation harness: plan, batches, hard time-out, model cache, run environment."""
