"""Pure, deterministic aggregation: delta checks, robust rules and one call per finalized block."""
