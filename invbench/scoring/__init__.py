"""Scoring: the harness re-runs forward models on recovered inputs and applies metrics."""
