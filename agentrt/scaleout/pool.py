"""`RayActorPool`: the driver's handle on a set of Ray actors, each an `EngineWorker` owning one engine.

Work goes to the actor with the fewest calls in flight. When an actor dies (its node lost, ``ray.kill``, an
out-of-memory kill), the calls in flight on it are sent again to the actors still alive; results that came back
earlier are already the driver's and are never lost. Actors are not restarted: the pool shrinks, and fails
only when none is left.

To the benchmark runner the pool looks like an engine (``pool_size``, ``events``, ``close``): the capacity of
all actors together. Agents never run on the driver, so leasing a sequence here raises `EngineError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from typing import Any

from agentrt.errors import ConfigError, EngineError
from agentrt.events import EventBus
from agentrt.scaleout.settings import ActorSettings
from agentrt.scaleout.worker import EngineWorker

CLOSE_TIMEOUT_S = 30.0


class _Actor:
    def __init__(self, name: str, handle: Any) -> None:
        self.name = name
        self.handle = handle
        self.in_flight = 0
        self.alive = True
        self.info: dict[str, Any] = {}


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("--ray needs Ray: pip install 'agentrt[ray]'") from exc
    return ray


class RayActorPool:
    def __init__(self, actors: list[_Actor], settings: ActorSettings, events: EventBus, owns_ray: bool) -> None:
        self.actors = actors
        self.settings = settings
        self._events = events
        self._owns_ray = owns_ray
        self._changed = asyncio.Event()
        self._closed = False

    @classmethod
    async def start(
        cls, settings: ActorSettings, *, address: str | None = None, events: EventBus | None = None,
        total_sequences: int | None = None, **ray_init: Any,
    ) -> RayActorPool:
        """Join (or start) a Ray cluster and start the actors, each loading its engine.

        ``address``: None joins the cluster this machine belongs to (``ray start``) or starts a local one;
        ``"auto"`` or ``"HOST:PORT"`` join that cluster. ``total_sequences`` (optional) sizes each actor's pool so
        that all of them together hold that many. ``ray_init`` goes to ``ray.init`` (tests: num_cpus).
        """
        ray = _ray()
        events = events or EventBus(forward_to_logging=False)
        owns_ray = not ray.is_initialized()
        if owns_ray:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, **ray_init)
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        count = settings.actors or (gpus if gpus and settings.gpus_per_actor > 0 else 2)
        if total_sequences is not None:
            settings = settings.model_copy(update={"sequences": actors_for(total_sequences, count)})
        per_actor = {"num_cpus": settings.cpus_per_actor, "num_gpus": settings.gpus_per_actor}
        needed_cpus = count * settings.cpus_per_actor
        if needed_cpus > resources.get("CPU", 0):
            raise ConfigError(
                f"--ray: {count} actors of {settings.cpus_per_actor:g} CPUs need {needed_cpus:g} CPUs; the cluster "
                f"has {resources.get('CPU', 0):g} (add nodes with `ray start --address`, or fewer actors)"
            )
        remote_class = ray.remote(EngineWorker).options(
            # Async actor: its tasks interleave on one event loop, sharing its one engine.
            max_concurrency=settings.sequences * 4 + 4, max_restarts=0, **per_actor,
        )
        actors = [_Actor(f"actor-{i}", remote_class.remote(settings, f"actor-{i}")) for i in range(count)]
        pool = cls(actors, settings, events, owns_ray)
        try:
            infos = await asyncio.gather(*(a.handle.start.remote() for a in actors))
            for actor, info in zip(actors, infos):
                actor.info = info
                events.emit("ray.actor_started", **info, sequences=settings.sequences)
        except BaseException:
            await pool.close()
            raise
        return pool

    # --- engine-shaped surface for the benchmark runner ------------------------------------------------------

    @property
    def events(self) -> EventBus:
        return self._events

    @property
    def pool_size(self) -> int:
        """Tasks the actors run at once: every actor's sequences together (those alive at the start)."""
        return len(self.actors) * self.settings.sequences

    @contextlib.asynccontextmanager
    async def sequence(self, *, owner: str = "", priority: int = 0) -> AsyncIterator[Any]:
        raise EngineError(f"owner {owner!r}: with --ray the engines live on the Ray actors, not on the driver")
        yield  # pragma: no cover  (makes this an async generator)

    async def chat(self, messages: Any, *, owner: str = "", priority: int = 0, **options: Any) -> Any:
        raise EngineError(f"owner {owner!r}: with --ray the engines live on the Ray actors, not on the driver")

    @property
    def alive(self) -> list[_Actor]:
        return [a for a in self.actors if a.alive]

    # --- calls -----------------------------------------------------------------------------------------------

    async def call(self, method: str, *args: Any, label: str = "") -> Any:
        """``actor.method(*args)`` on the least-busy live actor, moved to another if that actor dies."""
        ray = _ray()
        lost_errors = _actor_lost_errors(ray)
        while True:
            actor = self._least_busy()
            actor.in_flight += 1
            ref = getattr(actor.handle, method).remote(*args)
            try:
                return await ref
            except lost_errors as exc:
                self._lost(actor, exc)
                self._events.emit("ray.call_moved", call=label or method, from_actor=actor.name,
                                  error=str(exc).splitlines()[0][:300])
            except asyncio.CancelledError:
                ray.cancel(ref)  # a task timeout on the driver stops the work on the actor too
                raise
            finally:
                actor.in_flight -= 1

    def _least_busy(self) -> _Actor:
        alive = self.alive
        if not alive:
            raise EngineError(f"every Ray actor is lost ({', '.join(a.name for a in self.actors)})")
        return min(alive, key=lambda a: a.in_flight)

    def _lost(self, actor: _Actor, error: BaseException) -> None:
        if actor.alive:
            actor.alive = False
            self._events.emit("ray.actor_lost", actor=actor.name, in_flight=actor.in_flight,
                              error=str(error).splitlines()[0][:300], alive=len(self.alive))

    async def forget_cache(self) -> None:
        """Nothing here: each actor's engine keeps its own cache, out of the driver's reach."""

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        ray = _ray()
        alive = self.alive
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                asyncio.gather(*(a.handle.close.remote() for a in alive), return_exceptions=True), CLOSE_TIMEOUT_S
            )
        for actor in self.actors:
            actor.alive = False
            with contextlib.suppress(Exception):
                ray.kill(actor.handle)
        if self._owns_ray:
            ray.shutdown()
        self._events.emit("ray.closed", actors=len(self.actors), alive=len(alive))


def _actor_lost_errors(ray: Any) -> tuple[type[BaseException], ...]:
    names = ("RayActorError", "ActorDiedError", "ActorUnavailableError")
    return tuple(getattr(ray.exceptions, n) for n in names if hasattr(ray.exceptions, n))


def actors_for(concurrency: int, actors: int) -> int:
    """Sequences per actor so that ``actors`` actors hold ``concurrency`` tasks at once."""
    return max(1, math.ceil(concurrency / actors))
