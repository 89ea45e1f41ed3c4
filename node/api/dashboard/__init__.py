"""The node's web dashboard: server-rendered HTML pages over the chain, a little plain
JavaScript that keeps them live, and the stylesheet, script and icon they use, all served by
the node itself (ADR 092). The route table is :data:`node.api.dashboard.routes.DASHBOARD_ROUTES`.
"""
