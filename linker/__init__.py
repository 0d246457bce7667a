"""linker: graph-based identity resolution and need enrichment."""
