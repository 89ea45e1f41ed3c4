"""Datasets that ship with installed packages, synthetic data and seeded per-node partitions."""
