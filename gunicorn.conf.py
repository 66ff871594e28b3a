"""gunicorn's settings for the shop; gunicorn reads this file from the folder it starts in
(``scripts/serve`` names it too)."""

import os
import shutil
import tempfile

#: the access log keeps paths, never the values of searches, codes or card numbers
logger_class = "core.accesslog.RedactingLogger"

# /metrics sums every worker's figures (prometheus_client's multiprocess mode): the workers
# write them to one folder, named here before any worker imports the client. The operator
# may name it (PROMETHEUS_MULTIPROC_DIR); else a fresh one per start of the master.
_owned = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _owned:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="haiyun-metrics-")


def on_starting(server):
    """Figures of an earlier run of the master do not count."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.unlink(os.path.join(folder, name))


def child_exit(server, worker):
    """A worker that ends stops counting in the gauges of live processes."""
    from prometheus_client import multiprocess  # noqa: PLC0415 - after the folder is named

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _owned:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
