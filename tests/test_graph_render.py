"""The service graph laid out on the server: names shown as text, never as Graphviz instructions."""

from __future__ import annotations

import html
import threading
from datetime import UTC, datetime

from services.mesh import graph_render
from services.mesh.graph import GraphEdge, ServiceGraph, ServiceKey
from services.mesh.graph_render import graph_svg
from services.mesh.graph_view import to_dot
from services.timewindow import Window

HOSTILE = 'evil", image="/etc/passwd", label="x'


def test_a_graph_is_laid_out_as_svg_with_its_names():
    svg = graph_svg('digraph mesh { "a" -> "b" [label="12/s"]; }')
    assert svg is not None and svg.startswith("<svg")
    assert "<title>a</title>" in svg and "12/s" in svg and "<title>a&#45;&gt;b</title>" in svg


def test_a_hostile_service_name_stays_a_label():
    dot = f'digraph mesh {{ node [shape=box]; "{HOSTILE.replace(chr(34), chr(92) + chr(34))}" -> "b"; }}'
    svg = graph_svg(dot)
    assert svg is not None
    assert "<image" not in svg and "root:" not in svg  # no file of the server's was read or embedded
    assert HOSTILE in html.unescape(svg)  # shown as the text it is


def test_the_dashboards_own_graph_with_a_hostile_name():
    """Through to_dot, as the page builds it, with names an attacker controls (metric labels)."""
    caller, callee = ServiceKey("prod", "shop", HOSTILE), ServiceKey("prod", "shop", "<script>alert(1)</script>")
    edge = GraphEdge("prod", HOSTILE, "shop", "shop", callee.service, rps=5.0, p99=900.0, ratio_5xx=0.2)
    window = Window(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 1, 1, tzinfo=UTC))
    graph = ServiceGraph(window, [edge], {caller: {"p99": 10.0}, callee: {"p99": 900.0, "ratio_5xx": 0.2}}, ["destination"])
    svg = graph_svg(to_dot(graph))
    assert svg is not None and "<image" not in svg
    assert "<script" not in svg and "&lt;script&gt;" in svg  # escaped in the SVG's text


def test_dot_that_fails_falls_back_to_none():
    assert graph_svg("digraph { this is not dot") is None


def test_sessions_asking_for_one_graph_at_once_start_one_dot(monkeypatch):
    graph_render.clear()
    started: list[str] = []
    lay_out = graph_render._layout

    def counted(dot: str) -> str | None:
        started.append(dot)
        return lay_out(dot)

    monkeypatch.setattr(graph_render, "_layout", counted)
    dot = 'digraph mesh { "x" -> "y"; }'
    results: list[str | None] = []
    threads = [threading.Thread(target=lambda: results.append(graph_svg(dot))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(started) == 1 and len(results) == 8 and len(set(results)) == 1 and results[0] is not None
