"""Mini-zoo training recipes (``invbench zoo train NAME``); never imported at scoring time."""
