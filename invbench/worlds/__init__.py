"""Synthetic worlds (Shapes scenes, espeak-ng speech) for mini-zoo recipes and target sets."""
