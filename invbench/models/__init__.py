"""Forward models and judges.

Each wrapper lives in its own module and is imported lazily through ``invbench.plugins.catalog`` so
that
listing names never pays for torch-heavy imports. Weight files are resolved through
``invbench.fs.cache`` so every model shares one, relocatable cache folder.
"""
