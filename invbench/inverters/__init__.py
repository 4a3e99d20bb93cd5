"""Built-in inverters. Each is registered lazily in ``invbench.plugins.catalog``."""
