"""Programs for tests/test_forkserver.py to run in a fork server's children."""

from __future__ import annotations

import json
import os
import sys
import threading
import time

CALLS: list[str] = []  # filled by each run: a child that saw an earlier run's state would show it


def report() -> int:
    """Print what the child sees; exit with the status given as the second argument."""
    CALLS.append(sys.argv[1])
    print(json.dumps({"argv": sys.argv, "cwd": os.getcwd(), "home": os.environ.get("FORK_TEST"), "calls": CALLS,
                      "stdin": sys.stdin.read()}))
    print("说明 on stderr", file=sys.stderr)
    return int(sys.argv[2])


def leave(message: str) -> None:
    sys.exit(message)


def exit_with_text() -> None:
    leave("a message, not a number")


def fail() -> None:
    raise ValueError("broken on purpose")


def sleep() -> None:
    time.sleep(60)


def interrupted() -> None:
    raise KeyboardInterrupt


def thread_left_running() -> None:
    """Start a thread that is not a daemon and return at once: the interpreter waits for it before exiting."""

    def later() -> None:
        time.sleep(0.2)
        print("the thread ended", flush=True)

    threading.Thread(target=later).start()


def temp_dir() -> None:
    import tempfile

    print(tempfile.gettempdir())


def local_time() -> None:
    print(time.strftime("%Z", time.localtime(0)))
