"""Read the metadata keys of a GGUF file without parsing the rest of it.

The memory plan needs a handful of numbers from the header (layer count, head counts, key/value widths, the
vocabulary size). `gguf.GGUFReader` gets them too, but it builds a numpy view of *every* field, every element of
every array (262k tokenizer strings for Gemma 3) and every tensor info before returning: 2-9 s on each engine
start for models of 100-250 MB. This reader walks the same layout with `struct` on a buffered file and keeps
only what is cheap:

* scalars and strings are decoded;
* arrays keep their element type and length; numeric arrays of up to `MAX_DECODED_ARRAY` elements (per-layer
  values such as `head_count_kv`) are decoded too, longer ones and string arrays are skipped over (a seek for
  fixed-size elements, length-prefix-and-seek per element for strings);
* it stops at the end of the key/value section: tensor infos are not read.

Layout (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md): magic `GGUF`, uint32 version, uint64
tensor count, uint64 kv count, then kv pairs `string key, uint32 value type, value`; a string is a uint64
length and that many UTF-8 bytes; an array is `uint32 element type, uint64 count, elements`. Version 1 (before
August 2023) used 32-bit counts and lengths; llama.cpp no longer loads it, so neither do we.

Every problem (bad magic, unsupported version, unknown type, a length that runs past the end of the file) raises
`ModelFormatError` naming the file and the byte offset.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from agentrt.errors import ModelFormatError

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
# Per-layer arrays are one element per block (tens to a few hundred); tokenizer scores/types are the vocabulary
# size (50k-260k) and are only counted.
MAX_DECODED_ARRAY = 4096

# GGUF value types (gguf.constants.GGUFValueType) -> struct format of one element, for the fixed-size ones.
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
_SCALAR_FORMATS: dict[int, str] = {
    UINT8: "B",
    INT8: "b",
    UINT16: "H",
    INT16: "h",
    UINT32: "I",
    INT32: "i",
    FLOAT32: "f",
    BOOL: "?",
    UINT64: "Q",
    INT64: "q",
    FLOAT64: "d",
}
TYPE_NAMES: dict[int, str] = {
    UINT8: "uint8",
    INT8: "int8",
    UINT16: "uint16",
    INT16: "int16",
    UINT32: "uint32",
    INT32: "int32",
    FLOAT32: "float32",
    BOOL: "bool",
    STRING: "string",
    ARRAY: "array",
    UINT64: "uint64",
    INT64: "int64",
    FLOAT64: "float64",
}

Scalar = int | float | bool | str


@dataclass(frozen=True, slots=True)
class GGUFArray:
    """An array value: its element type and length; `values` only for short numeric arrays, else None."""

    element_type: int
    length: int
    values: tuple[int | float | bool, ...] | None = None


GGUFValue = Scalar | GGUFArray


@dataclass(frozen=True, slots=True)
class GGUFHeader:
    version: int
    tensor_count: int
    byte_order: str  # "<" or ">" (struct prefix)
    fields: dict[str, GGUFValue]  # in file order
    kv_end: int  # offset just past the key/value section (where the tensor infos start)


class _Cursor:
    """A buffered file read forward with bounds checks: a corrupted length fails here, not as a huge read."""

    def __init__(self, f: BinaryIO, path: Path, size: int) -> None:
        self.f = f
        self.path = path
        self.size = size
        self.order = "<"

    @property
    def offset(self) -> int:
        return self.f.tell()

    def error(self, message: str, offset: int | None = None) -> ModelFormatError:
        at = self.offset if offset is None else offset
        return ModelFormatError(f"model file {str(self.path)!r}: cannot read its GGUF header: offset {at}: {message}")

    def _need(self, n: int, what: str) -> None:
        if n > self.size - self.offset:
            raise self.error(f"truncated: {what} needs {n} bytes, the file ends at {self.size}")

    def read(self, n: int, what: str) -> bytes:
        self._need(n, what)
        return self.f.read(n)

    def skip(self, n: int, what: str) -> None:
        self._need(n, what)  # seek() past the end would succeed silently
        self.f.seek(n, os.SEEK_CUR)

    def unpack(self, fmt: str, what: str) -> Scalar:
        return struct.unpack(self.order + fmt, self.read(struct.calcsize(fmt), what))[0]

    def uint32(self, what: str) -> int:
        return int(self.unpack("I", what))

    def uint64(self, what: str) -> int:
        return int(self.unpack("Q", what))

    def string(self, what: str) -> str:
        n = self.uint64(f"the length of {what}")
        # Undecodable bytes are replaced rather than refused: llama.cpp does not validate metadata text either.
        return self.read(n, what).decode("utf-8", errors="replace")

    def skip_strings(self, count: int, what: str) -> None:
        """Skip `count` length-prefixed strings (a tokenizer's 50k-260k tokens and merges).

        The hot loop of the whole reader, so it calls the file directly instead of going through `uint64` and
        `skip` (about 9x faster) and checks the end of the file once, after the loop: a seek past the end is
        harmless, and the next length read comes back short.
        """
        read, seek, size = self.f.read, self.f.seek, self.size
        unpack_length = struct.Struct(self.order + "Q").unpack
        for i in range(count):
            raw = read(8)
            if len(raw) < 8:
                raise self.error(f"truncated: the length of {what}[{i}] runs past the end of the file ({size} bytes)")
            n = unpack_length(raw)[0]
            if n > size:  # also keeps seek() within off_t for a garbage length
                raise self.error(f"{what}[{i}] claims {n} bytes, more than the whole file", self.offset - 8)
            seek(n, os.SEEK_CUR)
        if self.offset > size:
            raise self.error(f"truncated: {what}[{count - 1}] runs past the end of the file ({size} bytes)")


def _read_value(cur: _Cursor, value_type: int, what: str) -> GGUFValue:
    if value_type in _SCALAR_FORMATS:
        return cur.unpack(_SCALAR_FORMATS[value_type], what)
    if value_type == STRING:
        return cur.string(what)
    if value_type == ARRAY:
        return _read_array(cur, what)
    raise cur.error(f"unknown value type {value_type} for {what}", cur.offset - 4)


def _read_array(cur: _Cursor, what: str) -> GGUFArray:
    type_at = cur.offset
    element_type = cur.uint32(f"the element type of {what}")
    length = cur.uint64(f"the length of {what}")
    elements = f"the {length} elements of {what}"
    if element_type in _SCALAR_FORMATS:
        fmt = _SCALAR_FORMATS[element_type]
        n_bytes = length * struct.calcsize(fmt)
        if length > MAX_DECODED_ARRAY:
            cur.skip(n_bytes, elements)
            return GGUFArray(element_type, length)
        values = struct.unpack(f"{cur.order}{length}{fmt}", cur.read(n_bytes, elements))
        return GGUFArray(element_type, length, values)
    if element_type == STRING:
        cur.skip_strings(length, what)
        return GGUFArray(element_type, length)
    if element_type == ARRAY:  # nested arrays are legal GGUF; skip them, element by element
        for i in range(length):
            _read_array(cur, f"{what}[{i}]")
        return GGUFArray(element_type, length)
    raise cur.error(f"unknown value type {element_type} for the elements of {what}", type_at)


def read_gguf_header(path: Path | str) -> GGUFHeader:
    """The version, tensor count and key/value metadata of a GGUF file (see the module docstring)."""
    path = Path(path)
    try:
        f = path.open("rb")
    except OSError as exc:
        raise ModelFormatError(f"model file {str(path)!r}: cannot read its GGUF header: {exc}") from exc
    with f:
        cur = _Cursor(f, path, os.fstat(f.fileno()).st_size)
        magic = f.read(4)
        if magic != GGUF_MAGIC:
            raise cur.error(f"not a GGUF file (starts with {magic!r}, not {GGUF_MAGIC!r})", 0)
        version = cur.uint32("the version")
        # GGUF is written in the producer's byte order; a big-endian file shows its version in the high bytes
        # when read little-endian (the same test gguf.GGUFReader makes).
        if version & 0xFFFF == 0 and version != 0:
            cur.order = ">"
            version = struct.unpack(">I", struct.pack("<I", version))[0]
        if version not in SUPPORTED_VERSIONS:
            raise cur.error(
                f"GGUF version {version} is not supported (only {', '.join(map(str, SUPPORTED_VERSIONS))}); "
                "re-convert the model with a current llama.cpp",
                4,
            )
        tensor_count = cur.uint64("the tensor count")
        kv_count = cur.uint64("the key/value count")
        fields: dict[str, GGUFValue] = {}
        for i in range(kv_count):
            key = cur.string(f"key #{i}")
            value_type = cur.uint32(f"the value type of {key!r}")
            fields[key] = _read_value(cur, value_type, repr(key))
        return GGUFHeader(version, tensor_count, cur.order, fields, cur.offset)
