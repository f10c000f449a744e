"""Kept only because ``participants/_simulated_user.py`` imports :func:`render_profile` from here
and eleven benchmark results hash that file: import it from :mod:`simulacra.prompts`. Delete this
module when ``_simulated_user.py`` is next edited (and its benchmarks rerun)."""

from __future__ import annotations

from simulacra.prompts import render_profile

__all__ = ["render_profile"]
