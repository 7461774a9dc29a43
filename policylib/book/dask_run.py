"""Execute the book's notebooks on Dask distributed: a local cluster, or a running cluster.

``python -m policylib.book --dask`` starts a local cluster of ``--jobs`` worker processes;
``--dask ADDRESS`` connects to a running scheduler (``tcp://host:8786``). Each task executes one
notebook with :func:`policylib.book.pipeline.execute` in the environment a pool worker has
(:func:`policylib.book.pipeline.worker_environment`), so a notebook comes out with the same bytes
as from the local pool, and a failure is reported with the same message. A real cluster's workers
must run this environment (the package, its ``book`` extra and the ``python3`` kernel) and see the
project at the same path (a shared file system); the executed notebooks come back to the build,
which writes them.

Only the build imports this module, and only when asked for Dask: the default path never imports
``distributed``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from policylib.book.pipeline import (
    BookBuildError,
    Task,
    _Outcome,
    execute,
    silence_output,
    worker_environment,
)
from policylib.book.stopping import stop_trees, worker_signals

LOCAL = "local"  # the address that asks for a local cluster
CONNECT_SECONDS = 10


def execute_on_worker(task: Task, root: str) -> _Outcome:
    """Run on a Dask worker: set up the notebook environment for ``root``, then execute ``task``."""
    worker_environment(root)
    return execute(task)


def _prepare_local_worker() -> int:
    """Run once on each local worker (in its main thread): what a pool worker gets besides its
    environment (SIGINT left to the build, kernel noise kept off the terminal); return its pid."""
    worker_signals()
    silence_output()
    return os.getpid()


def start_local_cluster(workers: int) -> Any:
    """A local cluster of ``workers`` single-threaded processes, without a memory limit (the notebooks'
    kernels are separate processes the limit would not see)."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=0,
        dashboard_address=":0",  # any free port: several builds may run on one machine
        silence_logs=logging.ERROR,
    )


def _failure(task: Task, exc: BaseException) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    message = f"{task.label} (template {task.template_label}): Dask worker failed: {type(exc).__name__}"
    return f"{message}: {detail}" if detail else message


def run_on_dask(tasks: Sequence[Task], workers: int, root: Path, address: str) -> Iterator[_Outcome]:
    """Execute tasks on Dask, yielding outcomes as they finish (the contract of ``pipeline.run_tasks``).

    ``address`` is a scheduler's address, or :data:`LOCAL` for a local cluster of ``workers``
    processes. If the caller stops early (an exception, Ctrl-C, the generator closed), the tasks
    are cancelled and a local cluster is ended with its workers' kernels; a local cluster is
    closed when the run ends either way. On a running cluster, a notebook already started runs
    to its end (Dask does not interrupt a running task); its worker is then free again.
    """
    from distributed import Client, as_completed

    cluster = None
    client = None
    futures: list[Any] = []
    local_workers: list[int] = []
    try:
        try:
            if address == LOCAL:
                cluster = start_local_cluster(workers)
                client = Client(cluster, set_as_default=False)
                local_workers = list(client.run(_prepare_local_worker).values())
            else:
                client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except Exception as exc:  # distributed reports a cluster that cannot start or be reached variously
            what = "start a local Dask cluster" if address == LOCAL else f"reach the Dask scheduler at {address}"
            raise BookBuildError(f"cannot {what}: {type(exc).__name__}: {exc}") from None
        futures = client.map(execute_on_worker, list(tasks), root=str(root), pure=False)
        by_key = {future.key: task for future, task in zip(futures, tasks, strict=True)}
        for future in as_completed(futures, loop=client.loop):
            try:
                outcome = future.result()
            except Exception as exc:  # the worker died, or could not run the task
                raise BookBuildError(_failure(by_key[future.key], exc)) from None
            yield outcome
    except BaseException:
        if client is not None:
            with contextlib.suppress(Exception):
                client.cancel(futures)
        stop_trees(local_workers)  # the workers and the kernels they started
        raise
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()
