"""The run store: run folders, typed records and manifests."""
