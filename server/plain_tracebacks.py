"""structlog without rich: plain tracebacks, and 3 MB less in every node process.

structlog imports rich (and, through it, pygments) when it happens to be installed, to draw
tracebacks in its console renderer. rich is not a dependency of Maillage: development tools
(import-linter, Schemathesis) bring it into a development environment, where it made the node
3 MB heavier than an installed one (`python -m bench.idle_memory`) and its console tracebacks
different. The node draws tracebacks plainly (server/logs.py), so structlog's own imports of
rich are refused; any other module that imports rich gets it as usual. So is greenlet (brought by
Playwright), which structlog imports when present for a deprecated greenlet-local context the
node does not use.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Final

REFUSED: Final = frozenset({"rich", "greenlet"})
IMPORTER: Final = "structlog"
IMPORT_MACHINERY: Final = ("importlib", "_frozen_importlib")


class StructlogWithoutRich:
    """A finder consulted first, which refuses rich to structlog and finds nothing itself."""

    @staticmethod
    def find_spec(
        name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name.partition(".")[0] in REFUSED and importer_of_module().startswith(IMPORTER):
            raise ModuleNotFoundError(f"{name} is not used by the node's logs", name=name)
        return None


def importer_of_module() -> str:
    """The module whose `import` statement is being run (the first frame outside importlib)."""
    frame = sys._getframe(1)
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if module != __name__ and not module.startswith(IMPORT_MACHINERY):
            return module
        frame = frame.f_back  # type: ignore[assignment]
    return ""


def refuse_rich_to_structlog() -> None:
    """Install the finder, once; it only matters before structlog is first imported."""
    if not any(isinstance(finder, StructlogWithoutRich) for finder in sys.meta_path):
        sys.meta_path.insert(0, StructlogWithoutRich())
