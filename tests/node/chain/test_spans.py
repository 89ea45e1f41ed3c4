"""The learning loop's span timeline pairs events of one delta and one version, boundedly."""

from node.chain.spans import MAX_TRACKED, DeltaTimeline, SpanHistograms


def test_a_delta_is_timed_from_submission_to_proposal_to_final() -> None:
    timeline = DeltaTimeline(SpanHistograms())
    timeline.on_submitted(b"a", 10.0)
    timeline.on_proposal([b"other", b"a"], 10.25)
    timeline.on_proposal([b"a"], 11.0)  # a second proposal with the same tx counts nothing
    timeline.on_final([b"a"], 10.5)
    timeline.on_final([b"a"], 12.0)
    summary = timeline.spans.get_summary()
    assert summary["submit_to_included"] == {"count": 1, "mean_ms": 250.0}
    assert summary["included_to_final"] == {"count": 1, "mean_ms": 250.0}


def test_a_version_is_timed_from_derived_to_the_worker_once() -> None:
    timeline = DeltaTimeline(SpanHistograms())
    timeline.on_derived(1, 3, 5.0)
    timeline.on_handed_to_worker(1, 3, 5.1)
    timeline.on_handed_to_worker(1, 3, 9.0)  # an evaluation job of the same version
    timeline.on_handed_to_worker(2, 3, 9.0)  # another task's version was never derived here
    histogram = timeline.spans.histograms["derived_to_worker"]
    assert histogram.count == 1 and abs(histogram.total_s - 0.1) < 1e-9


def test_unanswered_submissions_are_forgotten_beyond_the_bound() -> None:
    timeline = DeltaTimeline(SpanHistograms())
    for index in range(MAX_TRACKED + 10):
        timeline.on_submitted(index.to_bytes(4, "big"), float(index))
    timeline.on_proposal([(0).to_bytes(4, "big")], 1000.0)  # the oldest was dropped
    timeline.on_proposal([(MAX_TRACKED + 9).to_bytes(4, "big")], 1000.0)
    assert timeline.spans.histograms["submit_to_included"].count == 1
