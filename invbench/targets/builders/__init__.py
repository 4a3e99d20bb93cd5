"""Builders of the target sets that ship with invbench (``invbench targets build``)."""
