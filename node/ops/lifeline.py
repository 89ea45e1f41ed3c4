"""A lifeline pipe: a node started by a launcher never outlives it, even after ``kill -9``.

The launcher opens a pipe and keeps both ends; every node it starts inherits only the read end
(its number in ``DELTACHAIN_LIFELINE_FD``). Nobody ever writes to the pipe. When the launcher's
process ends, however it ends, the kernel closes its write end and each node's read returns
end-of-file: the node shuts down as on SIGTERM (ADR 086). Unlike a parent-death signal this
works through wrappers (``ip netns exec``), on every POSIX system, and cannot fire when a
launcher thread other than the main one exits.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import trio

from node.errors import ConfigError

logger = logging.getLogger(__name__)

LIFELINE_ENV = "DELTACHAIN_LIFELINE_FD"


class Lifeline:
    """The launcher's side: the pipe whose read end each started node inherits."""

    def __init__(self) -> None:
        self.read_fd, self._write_fd = os.pipe()  # both non-inheritable: only pass_fds passes

    def child_env(self) -> dict[str, str]:
        """What to add to a node's environment so it watches this lifeline."""
        return {LIFELINE_ENV: str(self.read_fd)}

    def close(self) -> None:
        """Close both ends: every node still watching sees end-of-file and stops."""
        for fd in (self.read_fd, self._write_fd):
            try:
                os.close(fd)
            except OSError:
                continue


def parse_lifeline_fd(environ: Mapping[str, str]) -> int | None:
    """The lifeline descriptor a launcher passed, or None when the node runs on its own."""
    raw = environ.get(LIFELINE_ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ConfigError(f"{LIFELINE_ENV}={raw!r} is not a file descriptor number")
    fd = int(raw)
    try:
        os.fstat(fd)
    except OSError:
        raise ConfigError(f"{LIFELINE_ENV}={fd} is not an open file descriptor") from None
    return fd


async def wait_for_launcher_exit(fd: int) -> None:
    """Return once the launcher holding the other end of ``fd`` is gone (end-of-file)."""
    while True:
        await trio.lowlevel.wait_readable(fd)
        try:
            if not os.read(fd, 4096):
                return
        except BlockingIOError:
            continue
        except OSError as exc:  # a broken lifeline means the launcher is gone as well
            logger.debug("lifeline read failed: %s", exc)
            return
