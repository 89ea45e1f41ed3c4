"""Builders shipped next to the real code: seeded synthetic rounds for tests and benchmarks."""
