"""Plug-ins: one registry kind for every name table, the built-in entries, entry points."""
