"""The mini zoo's networks and their forward-model wrappers (weights in ``data/models``)."""
