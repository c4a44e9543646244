"""A companion worker ends with the server that started it, even when the server is SIGKILLed.

A killed parent runs no clean-up, so the child must notice by itself. On Linux the kernel sends
it SIGTERM (prctl PR_SET_PDEATHSIG) the moment its parent dies: RQ's warm shutdown then lets a
running job finish and unregisters the worker. A daemon thread also watches the parent pid (an
orphan is re-parented, so getppid() changes): it sends that SIGTERM where prctl is not available,
and SIGKILL if the worker still runs STOP_WAIT_S later (RQ can lose a stop request that lands
inside its own clean-up code), the same escalation the server uses when it stops normally.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_EVERY_S = 0.5
STOP_WAIT_S = 10.0  # as companion.STOP_WAIT_S


class ParentGone(SystemExit):
    """The parent died before the watch was in place: nothing to serve for, so do not start."""


def exit_with_parent(parent_pid: int) -> None:
    """SIGTERM this process when `parent_pid`, its parent, dies; ParentGone if it already has."""
    armed = _set_parent_death_signal(signal.SIGTERM)
    # Checked after arming: a parent that died before prctl would otherwise go unnoticed.
    if os.getppid() != parent_pid:
        raise ParentGone(f"the process that started this worker ({parent_pid}) is gone")
    threading.Thread(target=_watch, args=(parent_pid, armed), name="parent-watch", daemon=True).start()


def _set_parent_death_signal(signum: int) -> bool:
    """Ask the kernel for `signum` when the parent dies; False where prctl is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int, kernel_signals: bool) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCH_EVERY_S)
    if not kernel_signals:  # else the kernel has sent it (a second SIGTERM would be a cold stop)
        os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(STOP_WAIT_S)
    os.kill(os.getpid(), signal.SIGKILL)
