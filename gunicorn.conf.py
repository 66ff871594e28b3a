"""gunicorn's settings for the shop; gunicorn reads this file from the folder it starts in
(``scripts/serve`` names it too)."""

import os
import shutil
import tempfile

#: the access log keeps paths, never the values of searches, codes or card numbers
logger_class = "core.accesslog.RedactingLogger"


# /metrics sums every worker's figures (prometheus_client's multiprocess mode): the workers
# write them to one folder, named in the master before any worker loads the app. The
# operator may name it (PROMETHEUS_MULTIPROC_DIR); else a fresh one per start of the master.
def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):  # figures of an earlier run do not count
            if name.endswith(".db"):
                os.unlink(os.path.join(folder, name))
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="haiyun-metrics-")
        server._haiyun_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def child_exit(server, worker):
    """A worker that ends stops counting in the gauges of live processes."""
    from prometheus_client import multiprocess  # noqa: PLC0415 - after the folder is named

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    owned = getattr(server, "_haiyun_metrics_dir", None)
    if owned:
        shutil.rmtree(owned, ignore_errors=True)
