"""Whisper (tiny.en for ``mini``, large-v3 for ``paper``) and its offline conversion."""
