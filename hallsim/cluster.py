"""Running hallsim's tasks on a Dask cluster (the optional extra ``hallsim[cluster]``).

``hallsim sweep`` and ``hallsim optimise`` both take ``--backend dask`` /
``--scheduler ADDRESS``.  This module is the one place that starts or reaches the
cluster and hands back a ``concurrent.futures`` executor over it
(``Client.get_executor``), so each command submits its tasks as it would to a local
process pool.  Which task runs on which worker never changes a number: seeds depend
only on the seed and the replication.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable
from dataclasses import dataclass


class ClusterError(RuntimeError):
    """The Dask cluster could not be started or reached (nothing was run).

    ``scheduler``: the address tried (None: a LocalCluster); ``reason``: Dask's words.
    """

    def __init__(self, scheduler: str | None, reason: str):
        self.scheduler, self.reason = scheduler, reason
        where = f"the dask scheduler at {scheduler}" if scheduler else "a dask LocalCluster"
        super().__init__(f"cannot reach {where}: {reason}")


def require_dask() -> None:
    """Raise ImportError naming the extra ``hallsim[cluster]`` when Dask is missing."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "the dask backend needs the optional Dask packages, which did not import "
            f'({exc}); install them with: pip install "hallsim[cluster]"'
        ) from exc


def check_scheduler_address(address: str) -> None:
    """Raise ValueError (Dask's words) when ``address`` cannot be a scheduler's
    address: no port, a port that is not a number, a protocol without host and port.
    Checked before anything runs, so a typo is bad input, not a failure after the
    connection timeout.  Needs Dask (``require_dask``)."""
    from distributed.comm.addressing import get_address_host_port

    if not address.strip():
        raise ValueError("the address is empty")
    get_address_host_port(address)


@dataclass
class DaskExecutor:
    """A cluster's executor, its number of worker threads and how to let it go."""

    executor: cf.Executor
    workers: int
    close: Callable[[], None]


def dask_executor(workers: int, scheduler: str | None) -> DaskExecutor:
    """The executor of the cluster at ``scheduler``, or of a new ``LocalCluster`` of
    ``workers`` single-threaded processes on this machine when ``scheduler`` is None.

    Raises ImportError (no Dask; see ``require_dask``) or ClusterError (the scheduler
    did not answer within 10 s, or the local cluster did not start).
    """
    require_dask()
    from dask.distributed import Client, LocalCluster

    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="10s")
        else:
            import logging

            cluster = LocalCluster(
                n_workers=max(1, workers),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise ClusterError(scheduler, str(exc)) from None

    def close() -> None:
        client.close()
        if cluster is not None:
            cluster.close()

    threads = sum(client.nthreads().values())
    return DaskExecutor(client.get_executor(pure=False), max(1, threads), close)
