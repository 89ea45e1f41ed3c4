"""Stop signals for launchers: SIGTERM and SIGHUP become an exception, so cleanup runs.

A launcher (``testnet up``, ``sim run``) stops every node it started in its ``finally`` blocks.
Python turns SIGINT into :class:`KeyboardInterrupt` by itself; SIGTERM (``kill PID``, a
supervisor's stop) and SIGHUP (a closed terminal) would end the process without running them.
:func:`stop_signals_raise` installs handlers that raise instead, and ignores any further stop
signal while the cleanup runs, so a second ``kill`` cannot cut it short.

A process inherits its parent's signal mask. One started by a thread that had SIGINT blocked
(a test runner, a supervisor) never sees Ctrl-C or ``kill -INT``: the signal stays pending
forever. :func:`unblock_stop_signals` clears the mask for every stop signal; launchers and the
node daemon call it before they wait for one.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
ALL_STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})


def unblock_stop_signals() -> None:
    """Deliver SIGINT, SIGTERM and SIGHUP to this thread even if they came blocked."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, ALL_STOP_SIGNALS)
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:  # inherited: Python set no handler
        with contextlib.suppress(ValueError):  # only the main thread may set one
            signal.signal(signal.SIGINT, signal.default_int_handler)


@contextmanager
def stop_signals_raise(make_error: Callable[[str], BaseException]) -> Iterator[None]:
    """Inside the block, SIGTERM or SIGHUP raises ``make_error("terminated by SIGTERM")``.

    Only the main thread can install handlers; elsewhere the block runs with signals untouched.
    """

    def on_signal(signum: int, frame: FrameType | None) -> None:
        for stop_signal in STOP_SIGNALS:  # a second signal must not cut the cleanup
            signal.signal(stop_signal, signal.SIG_IGN)
        raise make_error(f"terminated by {signal.Signals(signum).name}")

    unblock_stop_signals()
    try:
        previous = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for stop_signal, handler in previous.items():
            signal.signal(stop_signal, handler)
