"""Forward models and judges.

Each wrapper lives in its own module and is imported lazily through ``invbench.catalog`` so that
listing names never pays for torch-heavy imports. Weight files are resolved through
``invbench.models.cache`` so every model shares one, relocatable cache folder.
"""
