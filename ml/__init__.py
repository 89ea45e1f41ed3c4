"""The learning layer: models, data, delta codec, deterministic aggregation, DP, training.

Entry points for the other packages (see docs/ml.md):
- `ml.aggregation.round.aggregate_round`, `ml.aggregation.spec.AggregationSpec`,
  `ml.aggregation.spec.spec_from_task`, `ml.snapshot.compute_model_hash`;
- `ml.codec.delta.encode_delta` / `decode_delta`, `ml.codec.feedback.encode_with_feedback`;
- `ml.training.worker.TrainingWorker` with `ml.training.jobs.TrainingJob`;
- `ml.privacy.mechanism.privatize_delta` with `ml.privacy.accountant.RdpAccountant`.
"""
