"""Look at runs: a local web viewer (``simulacra view``) and a self-contained HTML report
(``simulacra report``).

The viewer needs the ``viewer`` extra (Starlette, uvicorn); the report and the SVG plots need
nothing beyond the core install.
"""

from simulacra.viewer._data import ConversationFilter, LoadedRun, load_run, load_runs

__all__ = ["ConversationFilter", "LoadedRun", "load_run", "load_runs"]
