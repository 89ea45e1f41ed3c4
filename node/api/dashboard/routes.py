"""The dashboard's route table: its pages and the static files they use.

Every route is a ``GET`` (``HEAD`` too) that answers HTML, CSS, JavaScript or SVG; none needs
a token and none changes anything. A live page answers ``?fragment=main`` with its content
alone, which its script reloads when the chain moves on. The server matches these after the
API's own routes (:data:`node.api.routes.ROUTES`); they are not in the OpenAPI document.
"""

from __future__ import annotations

from node.api.dashboard import (
    accounts,
    audit,
    blocks,
    network,
    search,
    static,
    tasks,
    txs,
    versions,
)
from node.api.dashboard.layout import HTML_TYPE, PageHandler, html_errors
from node.api.routing import Param, ParamKind, Route

HEIGHT = Param("height", ParamKind.INDEX, "Block height")
TX_HASH = Param("hash", ParamKind.HASH, "Transaction hash")
ADDRESS = Param("address", ParamKind.ADDRESS, "Account address")
TASK_ID = Param("task_id", ParamKind.INDEX, "Training task id")
VERSION = Param("version", ParamKind.INDEX, "Model version")
VERSION_PATH = "/ui/tasks/{task_id}/models/{version}"


def _page(template: str, handler: PageHandler, name: str, *params: Param) -> Route:
    return Route(
        "GET",
        template,
        html_errors(handler),
        name,
        f"Dashboard: {name}",
        "",
        params=params,
        errors=(400, 404),
        media_type=HTML_TYPE,
    )


DASHBOARD_ROUTES: tuple[Route, ...] = (
    _page("/", network.get_network, "network"),
    _page("/ui/blocks", blocks.get_blocks, "blocks"),
    _page("/ui/blocks/{height}", blocks.get_block, "block", HEIGHT),
    _page("/ui/txs/{hash}", txs.get_tx, "transaction", TX_HASH),
    _page("/ui/accounts/{address}", accounts.get_account, "account", ADDRESS),
    _page("/ui/search", search.get_search, "search"),
    _page("/ui/tasks", tasks.get_tasks, "tasks"),
    _page("/ui/tasks/{task_id}", tasks.get_task, "task", TASK_ID),
    _page(VERSION_PATH, versions.get_version, "version", TASK_ID, VERSION),
    _page(f"{VERSION_PATH}/audit", audit.get_audit, "audit", TASK_ID, VERSION),
    _page("/ui/assets/dashboard.css", static.get_css, "stylesheet"),
    _page("/ui/assets/dashboard.js", static.get_js, "script"),
    _page("/ui/assets/icon.svg", static.get_icon, "icon"),
)
