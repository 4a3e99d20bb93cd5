"""Where invbench's files live (shipped folders, the cache) and how they are written."""
