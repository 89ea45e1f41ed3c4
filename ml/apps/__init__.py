"""Learning apps: a task's code as a small directory, shipped as a deterministic bundle.

An app is ``app.toml`` (name, version, entry file, default ``[config]``) plus Python code with
``build_model(config)`` and ``load_data(path, config)`` (optionally ``train`` and ``evaluate``).
This package reads, checks and writes apps and bundles and never imports torch or app code;
only the training worker (``ml.training.app_loader``) imports an app, and only after its
operator approved the bundle's hash. See docs/apps.md.
"""
