"""Labelled samples in the Prometheus text: one TYPE line per metric, every label set kept."""

import pytest

from node.api.metrics import MetricNameError, get_metric_name, render_metrics
from node.chain.spans import BUCKETS_S, SpanHistograms
from node.network.peer_metrics import get_sample_name


def test_labelled_samples_share_one_type_line_per_metric() -> None:
    samples = {
        get_sample_name("deltachain_peer_score", peer="12D3KooWb"): -12.5,
        get_sample_name("deltachain_peer_score", peer="12D3KooWa"): 0.0,
        get_sample_name("deltachain_peer_rejections_total", reason="malformed-frame"): 3,
        "deltachain_peer_bans_total": 1,
        "deltachain_height": 7,
    }
    lines = render_metrics(samples).splitlines()
    assert lines == [
        "# TYPE deltachain_height gauge",
        "deltachain_height 7",
        "# TYPE deltachain_peer_bans_total counter",
        "deltachain_peer_bans_total 1",
        "# TYPE deltachain_peer_rejections_total counter",
        'deltachain_peer_rejections_total{reason="malformed-frame"} 3',
        "# TYPE deltachain_peer_score gauge",
        'deltachain_peer_score{peer="12D3KooWa"} 0',
        'deltachain_peer_score{peer="12D3KooWb"} -12.5',
    ]


def test_label_values_are_escaped_and_bad_label_sets_refused() -> None:
    key = get_sample_name("m", a='say "hi"\\\n')
    assert get_metric_name(key) == "m"
    assert render_metrics({key: 1}).splitlines()[1] == 'm{a="say \\"hi\\"\\\\\\n"} 1'
    for bad in ('m{a="x"', "m{a=x}", 'm{1a="x"}', 'm{a="x",}', 'm{a="x""}', "m{}"):
        with pytest.raises(MetricNameError):
            render_metrics({bad: 1})


def test_span_histograms_render_as_one_histogram_family_with_ordered_buckets() -> None:
    spans = SpanHistograms()
    spans.observe("train", 0.02)
    spans.observe("train", 3.0)
    text = render_metrics({"deltachain_height": 7, **spans.get_samples()})
    lines = text.splitlines()
    assert lines[:2] == ["# TYPE deltachain_height gauge", "deltachain_height 7"]
    assert lines[2] == "# TYPE deltachain_span_seconds histogram"
    assert sum(line.startswith("# TYPE") for line in lines) == 2
    train = [line for line in lines if 'span="train"' in line]
    bounds = [line.split('le="')[1].split('"')[0] for line in train if "_bucket" in line]
    assert bounds == [str(b) for b in BUCKETS_S] + ["+Inf"]
    counts = [int(line.rsplit(" ", 1)[1]) for line in train if "_bucket" in line]
    assert counts == sorted(counts) and counts[0] == 0 and counts[-1] == 2
    assert 'deltachain_span_seconds_bucket{span="train",le="0.025"} 1' in train
    assert 'deltachain_span_seconds_sum{span="train"} 3.02' in train
    assert 'deltachain_span_seconds_count{span="train"} 2' in train
