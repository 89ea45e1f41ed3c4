"""Versioned delta codec: float32, float16, int8 (per-tensor scale), top-k with error feedback."""
