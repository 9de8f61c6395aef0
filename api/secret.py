"""The key that signs list cursors: SECRET_KEY, or else a random one kept in the instance folder.

A key in the source would let anyone sign a cursor. Without SECRET_KEY, the first process to
start makes a random key and every worker and restart reads the same file. The file is
written in full under a temporary name (0600) and then hard-linked into place, which is
atomic and never replaces a key another worker made first.
"""

from __future__ import annotations

import os
import secrets
import tempfile

KEY_FILE = "cursor-secret"


def cursor_secret(instance_path: str) -> str:
    """The key kept in `instance_path`, made on first use."""
    path = os.path.join(instance_path, KEY_FILE)
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=instance_path, prefix=f".{KEY_FILE}-")  # 0600
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_hex(32) + "\n")
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another worker was first: use its key
        finally:
            os.unlink(temporary)
    with open(path) as file:
        key = file.read().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key: delete it, or set SECRET_KEY")
    return key
