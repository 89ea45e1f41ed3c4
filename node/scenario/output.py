"""Writing a run report to disk: ``report.json`` (the record) and ``report.html`` (the page)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from node.scenario.errors import ScenarioError
from node.scenario.html import render_html
from node.scenario.report import RunReport

logger = logging.getLogger(__name__)

JSON_NAME = "report.json"
HTML_NAME = "report.html"


class ReportWriteError(ScenarioError):
    """The report directory cannot be created or a report file cannot be written."""


def write_report(report: RunReport, directory: Path) -> tuple[Path, Path]:
    """Create ``directory`` and write the report there; returns (json path, html path)."""
    json_path, html_path = directory / JSON_NAME, directory / HTML_NAME
    text = json.dumps(report.to_json(), indent=2, allow_nan=False) + "\n"
    page = render_html(report)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        json_path.write_text(text, encoding="utf-8")
        html_path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ReportWriteError(f"cannot write the report to {directory}: {exc}") from exc
    logger.info("report written dir=%s passed=%s", directory, report.passed)
    return json_path, html_path
