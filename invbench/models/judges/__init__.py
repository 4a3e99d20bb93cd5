"""Judges of the paper suite: open_clip CLIP and the Inception FID extractor."""
