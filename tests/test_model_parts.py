"""Models joined from PyPI part packages: verified by size and sha256, a missing or corrupt part refused by name.

Small fake parts in a temporary folder stand in for the real packages (the registry's part list and the part
locator are injectable); one check ties the real registry to pyproject.toml's pinned extras.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from agentrt.errors import ModelFormatError, ModelNotFoundError
from agentrt.model_parts import ModelPart, PartedModel, assemble, is_joined, missing_parts
from agentrt.cli import main
from agentrt.models import DEFAULT_MODEL, QWEN_CODER_05B, QWEN_CODER_15B, model_state, named_model, named_models

ROOT = Path(__file__).resolve().parents[1]
SLICES = [b"GGUF" + b"a" * 3000, b"b" * 4096, b"c" * 17]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def parts(tmp_path: Path) -> tuple[PartedModel, dict[str, Path]]:
    files: dict[str, Path] = {}
    specs = []
    for n, data in enumerate(SLICES, start=1):
        path = tmp_path / "site" / f"fake_part{n}" / "data" / f"part{n:02d}.bin"
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        files[f"fake_part{n}"] = path
        specs.append(ModelPart(package=f"fake-part{n}", version="1.0", module=f"fake_part{n}",
                               file=f"data/part{n:02d}.bin", size=len(data), sha256=_sha(data)))
    joined = b"".join(SLICES)
    model = PartedModel(file_name="fake.gguf", size=len(joined), sha256=_sha(joined), parts=tuple(specs))
    return model, files


def locator(files: dict[str, Path]) -> Callable[[ModelPart], Path | None]:
    """Where each fake part package keeps its slice; None once its file is gone (as for an uninstalled package)."""
    return lambda part: files[part.module] if files[part.module].exists() else None


def test_parts_are_joined_once_verified_and_reused(parts, tmp_path: Path) -> None:
    model, files = parts
    cache = tmp_path / "cache"
    path = assemble(model, name="fake", cache=cache, locate=locator(files))
    assert path.read_bytes() == b"".join(SLICES) and is_joined(model, cache)
    for file in files.values():
        file.unlink()  # the verified join no longer needs its parts
    assert assemble(model, name="fake", cache=cache, locate=locator(files)) == path


def test_a_corrupt_part_is_refused_by_name(parts, tmp_path: Path) -> None:
    model, files = parts
    files["fake_part2"].write_bytes(b"B" + SLICES[1][1:])  # same size, one byte changed
    with pytest.raises(ModelFormatError, match=r"part fake-part2 .*has sha256 .*expected .*fake-part2==1\.0"):
        assemble(model, name="fake", cache=tmp_path / "cache", locate=locator(files))
    assert not list((tmp_path / "cache").iterdir())  # nothing half-joined left behind
    files["fake_part3"].write_bytes(b"c" * 16)  # truncated: caught by size before anything is hashed
    with pytest.raises(ModelFormatError, match=r"part fake-part3 .*is 16 bytes, expected 17"):
        assemble(model, name="fake", cache=tmp_path / "cache", locate=locator(files))


def test_a_missing_part_is_refused_by_name(parts, tmp_path: Path) -> None:
    model, files = parts
    files["fake_part3"].unlink()
    assert [p.package for p in missing_parts(model, locator(files))] == ["fake-part3"]
    with pytest.raises(ModelNotFoundError, match=r"1 of its 3 part packages are not installed \(fake-part3==1\.0\); .*agentrt pull fake"):
        assemble(model, name="fake", cache=tmp_path / "cache", locate=locator(files))


def test_a_changed_joined_file_is_joined_again(parts, tmp_path: Path) -> None:
    model, files = parts
    cache = tmp_path / "cache"
    path = assemble(model, name="fake", cache=cache, locate=locator(files))
    path.write_bytes(b"GGUF tampered")
    assert not is_joined(model, cache)
    assert assemble(model, name="fake", cache=cache, locate=locator(files)).read_bytes() == b"".join(SLICES)


def test_the_registry_matches_pyproject_extras() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["qwen-0-5b"] == QWEN_CODER_05B.requirements
    assert extras["qwen-1-5b"] == QWEN_CODER_15B.requirements
    for model in (QWEN_CODER_05B, QWEN_CODER_15B):
        assert sum(part.size for part in model.parts) == model.size
        assert all(re.fullmatch(r"[0-9a-f]{64}", part.sha256) for part in model.parts)
    for entry in named_models():
        assert named_model(entry.name).licence and entry.size_bytes > 0


def test_agentrt_models_lists_size_licence_and_state(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    default = next(line for line in lines if line.startswith(DEFAULT_MODEL))
    assert "1117 MB" in default and "Apache-2.0" in default and "(default)" in default
    assert any(line.startswith("qwen2.5-coder-0.5b") and "491 MB" in line for line in lines)
    for entry in named_models():
        state = model_state(entry.name)
        assert any(line.startswith(entry.name) and state.value in line for line in lines)


def test_agentrt_pull_refuses_an_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pull", "gpt-17"]) == 2
    assert "model 'gpt-17': not a named model (qwen2.5-coder-0.5b, " in capsys.readouterr().err
