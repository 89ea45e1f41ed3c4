"""Labelled samples in the Prometheus text: one TYPE line per metric, every label set kept."""

import pytest

from node.api.metrics import MetricNameError, get_metric_name, render_metrics
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
