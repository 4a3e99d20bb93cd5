"""The ``invbench`` command line."""
