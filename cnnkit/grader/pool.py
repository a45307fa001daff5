"""Where sandboxed executions run: a local pool, or a Dask cluster.

Each submission is one task (:func:`cnnkit.grader.execute.execute`), and a
pool only runs tasks: the trusted steps stay with the process that holds the
gradebook. :class:`LocalPool` runs ``workers`` sandboxes at a time on this
machine. :class:`DaskPool` sends tasks to a Dask ``distributed`` scheduler (a
``LocalCluster``, or a cluster started with dask-jobqueue or dask-kubernetes);
each worker must have the kit installed at the same path, bubblewrap, and the
course data at the path given to the sandbox.
"""
from __future__ import annotations

import concurrent.futures
import os
from typing import Iterator

from cnnkit.grader.execute import Execution, Task, execute, kill_running


class LocalPool:
    """``workers`` sandboxes at a time in threads of this process (default: one per core)."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self._executor = concurrent.futures.ThreadPoolExecutor(self.workers, thread_name_prefix="sandbox")

    def describe(self) -> str:
        return f"{self.workers} local worker{'s' if self.workers != 1 else ''}"

    def submit(self, task: Task):
        return self._executor.submit(execute, task)

    def as_completed(self, futures) -> Iterator:
        return concurrent.futures.as_completed(futures)

    @staticmethod
    def result(future) -> Execution:
        return future.result()

    def cancel(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        kill_running()

    def close(self) -> None:
        self._executor.shutdown(wait=True)


class DaskPool:
    """Tasks on a Dask cluster: ``address`` of a running scheduler, or an existing ``client``."""

    def __init__(self, address: str | None = None, client=None):
        from distributed import Client

        self._own = client is None
        self.client = client or Client(address)

    def describe(self) -> str:
        workers = self.client.scheduler_info().get("workers", {})
        return f"Dask scheduler {self.client.scheduler.address} ({len(workers)} workers)"

    def submit(self, task: Task):
        # pure=False: the same notebook submitted twice is still executed twice (a retry after --force).
        return self.client.submit(execute, task, pure=False, key=f"grade-{task.key}-{os.urandom(4).hex()}")

    def as_completed(self, futures) -> Iterator:
        from distributed import as_completed

        return iter(as_completed(futures))

    @staticmethod
    def result(future) -> Execution:
        return future.result()

    def cancel(self) -> None:
        self.client.cancel(list(self.client.futures.values()) if hasattr(self.client, "futures") else [])

    def close(self) -> None:
        if self._own:
            self.client.close()
