"""The service graph laid out on the server as SVG, with Graphviz's `dot`.

Streamlit's st.graphviz_chart lays the graph out in the browser, again on every rerun of the
page even when the graph did not change: about 0.3 s of each Mesh rerun on a 2-core machine.
Laid out here once per distinct graph, the page shows a plain image. Without `dot` on the
server (Debian's `graphviz`), or when it fails, the caller falls back to the browser's layout.

The DOT text carries untrusted names (services.mesh.graph_view quotes them); `dot` runs with a
deadline, from an empty directory and with GV_FILE_PATH set to it, so no attribute can make it
read a file of the server's.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import threading

from services.bounded import Bounded

log = logging.getLogger(__name__)
DEADLINE_SECONDS = 5.0
MAX_SVG_BYTES = 2_000_000
KEPT = 64

_laid_out: Bounded[str, str] = Bounded(KEPT)
_lock = threading.Lock()  # one layout at a time


def graph_svg(dot: str) -> str | None:
    """The SVG of `dot`, or None (no `dot` on this server, or it failed: said in the log).

    One layout at a time, each graph once: ten sessions opening the same Mesh page start one
    `dot`, not ten, and the others find its SVG. A failure is not kept: the next ask tries again."""
    with _lock:
        svg = _laid_out.get(dot)
        if svg is None:
            svg = _layout(dot)
            if svg is not None:
                _laid_out.put(dot, svg)
        return svg


def clear() -> None:
    """Forget every layout (the next ask runs `dot` again)."""
    _laid_out.clear()


def _layout(dot: str) -> str | None:
    binary = shutil.which("dot")
    if binary is None:
        return None
    with tempfile.TemporaryDirectory(prefix="oncall-dot-") as empty:
        try:
            done = subprocess.run(
                [binary, "-Tsvg"],
                input=dot.encode(),
                capture_output=True,
                timeout=DEADLINE_SECONDS,
                cwd=empty,
                env={"PATH": os.environ.get("PATH", ""), "GV_FILE_PATH": empty, "HOME": empty},
                check=False,
            )
        except (subprocess.TimeoutExpired, OSError) as exc:
            log.warning("the service graph was not laid out on the server: %s", exc)
            return None
    if done.returncode != 0 or b"<svg" not in done.stdout or len(done.stdout) > MAX_SVG_BYTES:
        log.warning("the service graph was not laid out on the server: dot exited %s: %s", done.returncode, done.stderr[:300])
        return None
    svg = done.stdout.decode("utf-8", errors="replace")
    return svg[svg.index("<svg") :]
