"""`GraphSpec`: a graph definition (YAML or Python) as validated pydantic models.

The YAML shape (every field but ``agents`` and ``nodes`` is optional)::

    name: research
    model: {model: smollm2, sequences: 4, n_ctx: 2048}     # the shared engine's settings (also threads: auto|N,
                                                           # gpu_layers: auto|N, flash_attn: auto|on|off|measured;
                                                           # see EngineConfig)
    engine: {remote: [http://10.0.0.5:8080]}   # optional: OpenAI-compatible servers instead of the local model
    max_concurrency: 8            # optional run-wide cap on running nodes (the pool bounds it anyway)
    default_agent: executor       # runs plan steps that name no agent (dynamic expansion)
    imports: [mypkg.agents]       # modules agent classes may come from besides `agents` (see `class:` below)
    inputs:                       # the run's inputs: name -> {type, default, description} (or a list of names)
      task: {type: string, description: what to research}
    agents:
      planner: {class: agents.Planner, role: "You plan.", sampling: {temperature: 0}, tools: []}
      executor: {class: agents.Executor, tools: [read_file, calculator], max_tokens: 256}
    nodes:
      plan:
        agent: planner
        input: "{{ inputs.task }}"            # Jinja template over inputs.* and nodes.<id>.output
        output_schema: {type: object}          # optional JSON schema the output must satisfy
        retries: 2                             # extra attempts, with exponential backoff
        retry_backoff_s: 0.5
        timeout_s: 120                         # per attempt
        priority: 1                            # higher runs (and leases a sequence) first
      research:
        agent: executor
        map: nodes.plan.output                 # run once per item of this list (in map nodes, `item`, `index`)
        input: "Research: {{ item }}"
        max_concurrency: 2
        needs: [plan]                          # explicit; references in templates add needs too
    outputs:
      answer: nodes.research.output            # a reference, a template, or just a node id

`load_graph_spec` parses the file (within the limits of `agentrt.graph.limits`) and validates the schema, keeping
each field's line so later checks (unknown agents, references, cycles: see `agentrt.graph.checks`) can name
``file:line: field``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from agentrt.engine.config import FlashAttnSetting, GpuLayersSetting, ThreadsSetting
from agentrt.engine.settings import EnginePlacement, ModelSettings
from agentrt.errors import GraphSpecError, describe_validation_error
from agentrt.graph.contract import AgentSpec
from agentrt.graph.ids import ID_PATTERN, ID_RULE
from agentrt.graph.limits import MAX_GRAPH_NODES
from agentrt.graph.yamlsource import SourceMap, load_yaml_with_lines, read_yaml_file
from agentrt.retry import RetryPolicy

MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _module_name(name: str) -> str:
    if not MODULE_NAME.match(name):
        raise ValueError(f"{name!r} is not a module name like package.module")
    return name


ModuleName = Annotated[str, AfterValidator(_module_name)]
InputType = Literal["string", "integer", "number", "boolean", "list", "object", "any"]


class InputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: InputType = "string"
    default: Any = None
    required: bool | None = Field(None, description="default: required unless a default is given")
    description: str = ""

    @property
    def is_required(self) -> bool:
        return self.default is None if self.required is None else self.required


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent: str
    input: str = Field("", description="template of the task text given to the agent")
    needs: list[str] = Field(default_factory=list)
    map: str | None = Field(None, description="a reference or template giving a list: run the agent per item")
    max_concurrency: int | None = Field(None, ge=1, description="map nodes: most items running at once")
    allow_item_failures: bool = Field(
        True, description="map nodes: succeed with the completed items unless every item failed"
    )
    output_schema: dict[str, Any] | None = None
    retries: int = Field(0, ge=0, le=50)
    retry_backoff_s: float = Field(0.5, ge=0.0, le=600.0, description="first wait; doubles per retry")
    timeout_s: float | None = Field(None, gt=0.0, description="per attempt")
    priority: int = 0

    @field_validator("input", mode="before")
    @classmethod
    def _input_text(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("map", mode="before")
    @classmethod
    def _map_expression(cls, value: Any) -> Any:
        # `map: inputs.files` is shorthand for `map: "{{ inputs.files }}"`.
        if isinstance(value, str) and "{{" not in value:
            return "{{ " + value.strip() + " }}"
        return value

    @property
    def is_map(self) -> bool:
        return self.map is not None

    @property
    def retry_policy(self) -> RetryPolicy:
        """``retries`` and ``retry_backoff_s`` as the runtime's `RetryPolicy`."""
        return RetryPolicy(retries=self.retries, backoff_s=self.retry_backoff_s)


class GraphSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    description: str = ""
    model: ModelSettings = Field(default_factory=ModelSettings)
    engine: EnginePlacement = Field(default_factory=EnginePlacement)
    max_concurrency: int | None = Field(None, ge=1, description="most nodes running at once in this run")
    default_agent: str | None = None
    imports: list[ModuleName] = Field(
        default_factory=list, description="modules (and their submodules) agent classes may come from, besides agents"
    )
    inputs: dict[str, InputSpec] = Field(default_factory=dict)
    agents: dict[str, AgentSpec]
    nodes: dict[str, NodeSpec]
    outputs: dict[str, str] = Field(default_factory=dict)

    _source: SourceMap = PrivateAttr(default_factory=lambda: SourceMap("<python>"))

    @field_validator("inputs", mode="before")
    @classmethod
    def _inputs_shorthand(cls, value: Any) -> Any:
        if isinstance(value, list):  # `inputs: [task, topic]`
            return {name: {} for name in value}
        if isinstance(value, dict):
            return {name: ({} if body is None else body) for name, body in value.items()}
        return value

    @field_validator("agents", mode="before")
    @classmethod
    def _agent_names(cls, value: Any) -> Any:
        # Agents are keyed by name in YAML; AgentSpec carries its name too.
        if isinstance(value, dict):
            return {
                name: ({"name": name, **body} if isinstance(body, dict) and "name" not in body else body)
                for name, body in value.items()
            }
        return value

    @field_validator("outputs", mode="before")
    @classmethod
    def _outputs_shorthand(cls, value: Any) -> Any:
        # `answer: write` (a node id) and `answer: nodes.write.output` both mean "{{ nodes.write.output }}".
        if isinstance(value, dict):
            out = {}
            for name, ref in value.items():
                if isinstance(ref, str) and "{{" not in ref:
                    ref = ref.strip()
                    ref = "{{ " + (ref if "." in ref else f"nodes.{ref}.output") + " }}"
                out[name] = ref
            return out
        return value

    @model_validator(mode="after")
    def _ids(self) -> GraphSpec:
        for node_id in self.nodes:
            if not ID_PATTERN.match(str(node_id)):
                raise ValueError(f"node id {node_id!r} must match {ID_PATTERN.pattern} ({ID_RULE})")
        if not self.nodes:
            raise ValueError("a graph needs at least one node")
        return self

    @property
    def source(self) -> SourceMap:
        return self._source

    def with_source(self, source: SourceMap) -> GraphSpec:
        self._source = source
        return self

    def with_model_overrides(
        self,
        model: str | None = None,
        sequences: int | None = None,
        threads: ThreadsSetting | None = None,
        gpu_layers: GpuLayersSetting | None = None,
        flash_attn: FlashAttnSetting | None = None,
    ) -> GraphSpec:
        """A copy with the engine settings overridden (``--model``, ``--sequences``, ``--threads``, ...)."""
        given = {"model": model, "sequences": sequences, "threads": threads, "gpu_layers": gpu_layers,
                 "flash_attn": flash_attn}
        settings = self.model.model_copy(update={k: v for k, v in given.items() if v is not None})
        copy = self.model_copy(update={"model": ModelSettings.model_validate(settings.model_dump())})
        copy._source = self._source
        return copy


def parse_graph_spec(data: Any, source: SourceMap) -> GraphSpec:
    if not isinstance(data, dict):
        raise GraphSpecError(source.error((), "a graph definition must be a mapping (agents:, nodes:, ...)"))
    try:
        spec = GraphSpec.model_validate(data)
    except ValidationError as exc:
        raise GraphSpecError(describe_validation_error(exc, source.where, separator="\n")) from None
    return spec.with_source(source)


def parse_graph_file_data(data: Any, source: SourceMap) -> GraphSpec:
    """`parse_graph_spec` for data read from a file: a file declares at most ``MAX_GRAPH_NODES`` nodes."""
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if isinstance(nodes, dict) and len(nodes) > MAX_GRAPH_NODES:
        raise GraphSpecError(source.error(("nodes",), f"{len(nodes)} nodes; a graph file holds at most "
                                          f"{MAX_GRAPH_NODES} (the limit for a graph file)"))
    return parse_graph_spec(data, source)


def load_graph_spec(path: str | Path) -> GraphSpec:
    """Read and schema-validate a graph file. Raises `GraphSpecError` naming ``file:line: field``.

    This checks the schema only; `Graph.from_yaml` also checks agents, classes, tools, references and cycles.
    """
    data, source = read_yaml_file(Path(path))
    return parse_graph_file_data(data, source)


def load_graph_spec_text(text: str, source_name: str = "<string>") -> GraphSpec:
    data, source = load_yaml_with_lines(text, source_name)
    return parse_graph_file_data(data, source)
