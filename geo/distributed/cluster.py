"""Where partitioned work runs: in this process, a local Dask cluster, or a Dask scheduler.

The choice is a parameter (never read from the environment):

- ``None`` (or ``"none"``): in this process, one partition after another;
- ``"local"``: a :class:`distributed.LocalCluster` of ``n_workers`` single-threaded worker
  processes, started for the run and closed after it (also on error); the workers import
  the task modules as they start, and keep glibc's adaptive allocator (see ``_MALLOC_TRIM``);
- ``"tcp://host:port"`` (or ``tls://``, ``ws://``...): an existing scheduler, connected
  for the run and disconnected after it (the cluster itself is left running);
- a :class:`distributed.Client`: used as it is, left open (its owner closes it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from geo._errors import SchedulerError

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["Scheduler", "dask_client", "run_tasks"]

#: a scheduler choice: see the module docstring
Scheduler = Any
T = TypeVar("T")
_ADDRESS_PREFIXES = ("tcp://", "tls://", "ws://", "wss://", "inproc://", "ucx://")
#: Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536 (give freed memory back at once);
#: setting it at all turns off glibc's adaptive mmap threshold, so every large temporary
#: array of a task is a fresh mmap paid in page faults: the coverage tasks ran twice as
#: slow (reading a piece 0.07 s instead of 0.03 s, its snap index 0.32 s instead of 0.16 s).
#: A local cluster's workers start without it (freed memory then stays with the worker).
_MALLOC_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
#: what the tasks import, imported by a local cluster's workers as they start (so that a
#: run does not wait for its workers' first imports: about a second each)
_PRELOAD = ("geo.distributed._coverage_tasks", "geo.distributed._zone_tasks")


def _is_client(scheduler: object) -> bool:
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a dependency
        return False
    return isinstance(scheduler, Client)


def _connect(address: str, timeout_s: float) -> Client:
    from distributed import Client

    try:
        return Client(address, timeout=timeout_s, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        msg = (
            f"cannot reach the Dask scheduler at {address} within {timeout_s:g} s ({exc}) / "
            f"无法在 {timeout_s:g} 秒内连接 Dask 调度器 {address}"
        )
        raise SchedulerError(msg) from exc


@contextmanager
def dask_client(
    scheduler: Scheduler, *, n_workers: int = 2, timeout_s: float = 10.0
) -> Iterator[Client | None]:
    """A Dask client for ``scheduler`` (see the module docstring), closed on exit.

    Parameters
    ----------
    scheduler
        ``None``/``"none"``, ``"local"``, a scheduler address, or a ``Client``.
    n_workers
        Worker processes of a local cluster.
    timeout_s
        How long to try to reach a scheduler address.

    Yields
    ------
    distributed.Client or None
        ``None`` when the work runs in this process.

    Raises
    ------
    SchedulerError
        For an unknown scheduler value or an address that cannot be reached in time.
    """
    if scheduler is None or scheduler == "none":
        yield None
    elif _is_client(scheduler):
        yield scheduler
    elif scheduler == "local":
        if n_workers < 1:
            raise SchedulerError("n_workers must be at least 1 / 工作进程数至少为 1")
        import dask
        from distributed import Client, LocalCluster

        with (
            dask.config.set({_MALLOC_TRIM: None}),
            LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                # no dashboard; the scheduler's metrics server on a free loopback port
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                preload=list(_PRELOAD),
            ) as cluster,
            Client(cluster, set_as_default=False) as client,
        ):
            yield client
    elif isinstance(scheduler, str) and scheduler.startswith(_ADDRESS_PREFIXES):
        client = _connect(scheduler, timeout_s)
        with client:
            yield client
    else:
        msg = (
            f"unknown scheduler {scheduler!r}: use 'local', 'none' or an address such as "
            f"'tcp://host:8786' / 未知的调度器，请使用 local、none 或 tcp://主机:端口"
        )
        raise SchedulerError(msg)


def run_tasks(
    func: Callable[[Any], T],
    payloads: Sequence[Any],
    *,
    client: Client | None,
    scatter: bool = True,
    sticky: bool = False,
) -> list[T]:
    """``[func(p) for p in payloads]``, on the cluster when ``client`` is given.

    The tasks run in parallel and the results come back in the order of ``payloads``. An
    error in a task is raised here with its original type.

    Parameters
    ----------
    func, payloads
        The task and its inputs.
    client
        The cluster, or ``None`` to run here, one after another.
    scatter
        Send the payloads to the workers first (for large payloads: network pieces);
        without it they travel inside the tasks (small payloads: keys and paths).
        Payloads are scattered without content hashing: equal payloads of two calls on
        one client must not share keys (the first call's clean-up would cancel the
        second's futures).
    sticky
        Ask for task ``i`` on worker ``i mod n`` (workers by address), so that the same
        tasks of a later run meet what their worker kept in memory; the scheduler may
        still move a task to an idle worker.
    """
    if client is None:
        return [func(p) for p in payloads]
    if not payloads:
        return []
    remote = client.scatter(list(payloads), hash=False) if scatter else list(payloads)
    workers = sorted(client.scheduler_info()["workers"]) if sticky else []
    if workers:
        # one graph a worker (each a single message), put back in the payloads' order
        futures: list[Any] = [None] * len(remote)
        for w, worker in enumerate(workers):
            mine = range(w, len(remote), len(workers))
            sent = client.map(
                func,
                [remote[i] for i in mine],
                pure=False,
                workers=[worker],
                allow_other_workers=True,
            )
            for i, future in zip(mine, sent, strict=True):
                futures[i] = future
    else:
        futures = client.map(func, remote, pure=False)
    try:
        results: list[T] = client.gather(futures)
    finally:
        client.cancel(futures + (remote if scatter else []))
    return results
