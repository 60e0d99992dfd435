"""`gguf_header` against `gguf.GGUFReader` (the reference) on real models, and on hand-built and damaged files."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path
from typing import Any

import pytest
from gguf import GGUFReader, GGUFValueType

from agentrt.engine.gguf_header import MAX_DECODED_ARRAY, GGUFArray, read_gguf_header
from agentrt.engine.memory_plan import ModelShape, read_model_shape
from agentrt.errors import ModelFormatError, ModelNotFoundError
from agentrt.models import resolve_model


def _model(name: str) -> Path:
    try:
        return resolve_model(name)
    except ModelNotFoundError as exc:  # gemma3-270m is an optional extra (`agentrt[gemma]`)
        pytest.skip(str(exc))


@pytest.fixture(scope="module", params=["smollm2", "gemma3-270m"])
def model(request: pytest.FixtureRequest) -> tuple[Path, GGUFReader]:
    path = _model(request.param)
    return path, GGUFReader(path, "r")  # slow (2-9 s): once per model for the module


def _reference_shape(reader: GGUFReader) -> ModelShape:
    """What `read_model_shape` computed when it was built on GGUFReader."""

    def field(key: str, default: Any = None) -> Any:
        f = reader.get_field(key)
        if f is None:
            assert default is not None, key
            return default
        value = f.contents()
        return max(value) if isinstance(value, list) else value

    arch = field("general.architecture")
    n_embd, n_head = field(f"{arch}.embedding_length"), field(f"{arch}.attention.head_count")
    key_length = field(f"{arch}.attention.key_length", n_embd // n_head)
    return ModelShape(
        architecture=arch,
        n_layer=field(f"{arch}.block_count"),
        n_embd=n_embd,
        n_head=n_head,
        n_head_kv=field(f"{arch}.attention.head_count_kv", n_head),
        key_length=key_length,
        value_length=field(f"{arch}.attention.value_length", key_length),
        n_vocab=len(reader.get_field("tokenizer.ggml.tokens").data),
    )


def test_model_shape_matches_gguf_reader(model: tuple[Path, GGUFReader]) -> None:
    path, reader = model
    shape = read_model_shape(path)
    assert shape == _reference_shape(reader)
    assert shape.n_vocab > 40_000 and shape.n_layer > 0 and shape.n_head_kv > 0


def test_every_header_field_matches_gguf_reader(model: tuple[Path, GGUFReader]) -> None:
    path, reader = model
    header = read_gguf_header(path)
    expected = {k: f for k, f in reader.fields.items() if not k.startswith("GGUF.")}
    assert list(header.fields) == list(expected)  # same keys, same order
    for key, f in expected.items():
        ours = header.fields[key]
        if f.types[0] == GGUFValueType.ARRAY:
            assert isinstance(ours, GGUFArray), key
            assert (ours.element_type, ours.length) == (f.types[-1], len(f.data)), key
            if ours.values is not None:
                assert list(ours.values) == pytest.approx(f.contents()), key
            else:
                assert f.types[-1] == GGUFValueType.STRING or len(f.data) > MAX_DECODED_ARRAY, key
        else:
            assert ours == pytest.approx(f.contents()), key
    assert header.version == reader.fields["GGUF.version"].contents()
    assert header.tensor_count == len(reader.tensors)
    # It stopped exactly where the tensor infos begin: every byte of the key/value section was walked right.
    assert header.kv_end == reader.tensors[0].field.offset


# --- hand-built files -----------------------------------------------------------------------------------------


class _Writer:
    """A minimal GGUF writer (independent of the reader under test): header and key/values, no tensors."""

    def __init__(self, order: str = "<", version: int = 3) -> None:
        self.order = order
        self.version = version
        self.kvs: list[bytes] = []

    def pack(self, fmt: str, *values: Any) -> bytes:
        return struct.pack(self.order + fmt, *values)

    def string(self, s: str) -> bytes:
        raw = s.encode()
        return self.pack("Q", len(raw)) + raw

    def add(self, key: str, value_type: int, payload: bytes) -> _Writer:
        self.kvs.append(self.string(key) + self.pack("I", value_type) + payload)
        return self

    def u32(self, key: str, value: int) -> _Writer:
        return self.add(key, GGUFValueType.UINT32, self.pack("I", value))

    def str_(self, key: str, value: str) -> _Writer:
        return self.add(key, GGUFValueType.STRING, self.string(value))

    def array(self, key: str, element_type: int, fmt: str, values: list[Any]) -> _Writer:
        body = self.pack("IQ", element_type, len(values)) + self.pack(f"{len(values)}{fmt}", *values)
        return self.add(key, GGUFValueType.ARRAY, body)

    def strings(self, key: str, values: list[str]) -> _Writer:
        body = b"".join(self.string(v) for v in values)
        return self.add(key, GGUFValueType.ARRAY, self.pack("IQ", GGUFValueType.STRING, len(values)) + body)

    def header(self) -> bytes:
        return b"GGUF" + self.pack("IQQ", self.version, 0, len(self.kvs))

    def write(self, path: Path) -> Path:
        path.write_bytes(self.header() + b"".join(self.kvs))
        return path


def _llama(order: str = "<") -> _Writer:
    """A small llama-like header: 4 layers, per-layer KV head counts (as some models have), 5 tokens."""
    return (
        _Writer(order)
        .str_("general.architecture", "llama")
        .u32("llama.block_count", 4)
        .u32("llama.embedding_length", 256)
        .u32("llama.attention.head_count", 8)
        .array("llama.attention.head_count_kv", GGUFValueType.INT32, "i", [2, 4, 2, 1])
        .array("tokenizer.ggml.scores", GGUFValueType.FLOAT32, "f", [0.5] * 5)
        .strings("tokenizer.ggml.tokens", ["<s>", "</s>", "a", "bé", ""])
        .u32("general.alignment", 32)
    )


LLAMA_SHAPE = ModelShape(
    architecture="llama", n_layer=4, n_embd=256, n_head=8, n_head_kv=4, key_length=32, value_length=32, n_vocab=5
)


@pytest.mark.parametrize("order", ["<", ">"])
def test_hand_built_file_with_per_layer_head_count_kv(tmp_path: Path, order: str) -> None:
    path = _llama(order).write(tmp_path / "tiny.gguf")
    assert read_model_shape(path) == LLAMA_SHAPE
    header = read_gguf_header(path)
    assert header.byte_order == order
    assert header.fields["llama.attention.head_count_kv"] == GGUFArray(GGUFValueType.INT32, 4, (2, 4, 2, 1))
    assert header.fields["tokenizer.ggml.tokens"] == GGUFArray(GGUFValueType.STRING, 5)
    assert header.fields["general.alignment"] == 32  # read correctly after the skipped arrays
    assert header.kv_end == path.stat().st_size
    if order == "<":  # the hand-built file is real GGUF: the reference agrees
        assert _reference_shape(GGUFReader(path, "r")) == LLAMA_SHAPE


def test_big_numeric_and_nested_arrays_are_counted_not_decoded(tmp_path: Path) -> None:
    w = _llama()
    n = MAX_DECODED_ARRAY + 1
    w.array("big", GGUFValueType.UINT16, "H", list(range(n)))
    inner = w.pack("IQ", GGUFValueType.STRING, 2) + w.string("x") + w.string("yz")
    w.add("nested", GGUFValueType.ARRAY, w.pack("IQ", GGUFValueType.ARRAY, 2) + inner + inner)
    w.u32("after", 7)
    fields = read_gguf_header(w.write(tmp_path / "arrays.gguf")).fields
    assert fields["big"] == GGUFArray(GGUFValueType.UINT16, n)
    assert fields["nested"] == GGUFArray(GGUFValueType.ARRAY, 2)
    assert fields["after"] == 7


def test_optional_keys_default_like_llama_cpp(tmp_path: Path) -> None:
    w = _Writer().str_("general.architecture", "qwen2").u32("qwen2.block_count", 2)
    w.u32("qwen2.embedding_length", 128).u32("qwen2.attention.head_count", 4)
    shape = read_model_shape(w.write(tmp_path / "defaults.gguf"))
    assert (shape.n_head_kv, shape.key_length, shape.value_length, shape.n_vocab) == (4, 32, 32, 0)


def test_missing_required_key_is_named(tmp_path: Path) -> None:
    w = _Writer().str_("general.architecture", "llama").u32("llama.embedding_length", 64)
    w.u32("llama.attention.head_count", 4)
    with pytest.raises(ModelFormatError, match="GGUF metadata has no 'llama.block_count'"):
        read_model_shape(w.write(tmp_path / "missing.gguf"))


def test_string_where_a_number_belongs(tmp_path: Path) -> None:
    w = _Writer().str_("general.architecture", "llama").str_("llama.embedding_length", "wide")
    with pytest.raises(ModelFormatError, match="'llama.embedding_length' is 'wide', not an integer"):
        read_model_shape(w.write(tmp_path / "wrongtype.gguf"))


# --- damaged files --------------------------------------------------------------------------------------------


def test_bad_magic(tmp_path: Path) -> None:
    path = tmp_path / "ggml.bin"
    path.write_bytes(b"GGML" + _llama().write(tmp_path / "x.gguf").read_bytes()[4:])
    with pytest.raises(ModelFormatError, match=r"ggml\.bin'.*offset 0: not a GGUF file \(starts with b'GGML'"):
        read_model_shape(path)


def test_version_1_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v1.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<III", 1, 0, 0))
    with pytest.raises(ModelFormatError, match="offset 4: GGUF version 1 is not supported"):
        read_gguf_header(path)


def test_unknown_value_type_names_its_offset(tmp_path: Path) -> None:
    w = _Writer().str_("general.architecture", "llama")
    bad_at = len(w.header()) + len(w.kvs[0]) + len(w.string("weird"))  # where the type of "weird" is stored
    w.add("weird", 99, b"\0" * 8)
    path = w.write(tmp_path / "weird.gguf")
    with pytest.raises(ModelFormatError, match=rf"weird\.gguf'.*offset {bad_at}: unknown value type 99 for 'weird'"):
        read_gguf_header(path)


def test_string_array_with_garbage_length(tmp_path: Path) -> None:
    w = _Writer()
    w.add("tokens", GGUFValueType.ARRAY, w.pack("IQQ", GGUFValueType.STRING, 1, 2**63))
    with pytest.raises(ModelFormatError, match=r"tokens'\[0\] claims \d+ bytes, more than the whole file"):
        read_gguf_header(w.write(tmp_path / "garbage.gguf"))


def test_every_truncation_of_a_small_file_is_reported(tmp_path: Path) -> None:
    # Ends with a string array: a cut inside its last string is only caught by the bounds check after the loop.
    full = _llama().strings("tokenizer.ggml.merges", ["a b", "c d"]).write(tmp_path / "full.gguf").read_bytes()
    cut = tmp_path / "cut.gguf"
    for n in range(4, len(full)):  # every cut point: inside counts, keys, types, scalars, arrays, strings
        cut.write_bytes(full[:n])
        with pytest.raises(ModelFormatError, match=r"cut\.gguf'.*truncated"):
            read_gguf_header(cut)


def test_truncated_real_model(tmp_path: Path) -> None:
    source = _model("smollm2")
    kv_end = read_gguf_header(source).kv_end
    for n in (24, 200, kv_end // 2, kv_end - 1):  # the last ones cut the tokenizer's string arrays
        cut = tmp_path / f"smollm2-{n}.gguf"
        with source.open("rb") as src, cut.open("wb") as dst:
            dst.write(src.read(n))
        with pytest.raises(ModelFormatError, match=rf"smollm2-{n}\.gguf'.*cannot read its GGUF header.*truncated"):
            read_model_shape(cut)
    whole = tmp_path / "whole.gguf"
    shutil.copyfile(source, whole)  # sanity: the copy as such is fine
    assert read_model_shape(whole) == read_model_shape(source)
