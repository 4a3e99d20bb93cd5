"""Target sets: loading and verifying, preparing with a real model, freezing."""
