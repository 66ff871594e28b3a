"""The instance folder holds what no other user of the machine may read: the key that signs
every session cookie, the SQLite database, uploads and import previews.

The folder is kept 0700 and the key file 0600. The key is created with ``O_CREAT|O_EXCL``,
so two gunicorn workers starting together agree on one key: the first creates the file, the
other finds it and reads what the first wrote.
"""

import logging
import os
import secrets
import stat
import time
from pathlib import Path

log = logging.getLogger(__name__)

KEY_FILE = "secret_key"
#: how long a worker waits for another worker to finish writing the key it created
KEY_WAIT_SECONDS = 5.0


class InsecureInstance(RuntimeError):
    """The instance folder lets other users of the machine read what signs the sessions."""


def secure_folder(path: str | os.PathLike) -> None:
    """Create the instance folder 0700, or take group and world access off an existing one
    (left alone, with a warning, when it cannot be changed)."""
    folder = Path(path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        try:
            folder.chmod(0o700)
        except OSError as exc:  # another user's folder, a read-only mount
            log.warning("cannot make %s private (mode %o): %s", folder, mode, exc.strerror)


def _read_key(path: Path) -> str:
    """The key another worker may still be writing: wait until it is there."""
    deadline = time.monotonic() + KEY_WAIT_SECONDS
    while True:
        key = path.read_text().strip()
        if key:
            return key
        if time.monotonic() > deadline:
            raise InsecureInstance(
                f"{path} is empty. Delete it and start again, or set SECRET_KEY.")
        time.sleep(0.02)


def _check_private(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise InsecureInstance(
            f"{path} can be read by other users of this machine (mode {mode:04o}); anyone who "
            f"reads it can forge a session. Run `chmod 600 {path}` (and, if others may have "
            f"read it, delete it so that a new key is made), or set SECRET_KEY.")


def secret_key(instance_path: str | os.PathLike) -> str:
    """The key kept in ``instance/secret_key``, created 0600 on the first start.

    Refuses (``InsecureInstance``) a key file that the group or others may read."""
    path = Path(instance_path) / KEY_FILE
    secure_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _check_private(path)
        return _read_key(path)
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key


def create_private_file(path: str | os.PathLike) -> bool:
    """Create an empty file 0600 unless it exists (then nothing happens); True if created.
    What the SQLite engine does before SQLite itself opens a new database file."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:  # it exists, or SQLite is about to say why it cannot open it
        return False
    return True


def make_private(path: str | os.PathLike) -> None:
    """Take group and world access off a file that has them (an older database)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
    except FileNotFoundError:
        pass
    except OSError as exc:  # another user's file, a read-only mount
        log.warning("cannot make %s private: %s", path, exc.strerror)
