"""How a command is stopped: Ctrl-C (SIGINT) and `kill PID` (SIGTERM: a system shutting down, a
script, a service manager) end it the same way, saying what became of the work.

Python hears Ctrl-C as a KeyboardInterrupt, which every step that must say something on the way
out already answers (a send says whether its plan is in the log, and how to go on). SIGTERM, left
to its default, ended the process at once without a word (exit -15): a send stopped before its
first request left its campaign unexplained (review 26c #3). ``hear_sigterm`` makes it raise
``Terminated``, a KeyboardInterrupt, so the same words are said; the command line then exits 143
(128 + 15, as a shell reports a process ended by SIGTERM). While requests go out, the sender notes
either signal instead (send/dispatch.py). Knows no other part of mailer.
"""

from __future__ import annotations

import signal
from typing import Any

__all__ = ["SIGINT_EXIT", "SIGTERM_EXIT", "Terminated", "exit_code", "hear_sigterm", "heard_as_ctrl_c"]

# What a shell reports for a process ended by SIGTERM (128 + 15), and by Ctrl-C (128 + 2).
SIGTERM_EXIT = 143
SIGINT_EXIT = 130


class Terminated(KeyboardInterrupt):
    """`kill PID` (SIGTERM): the command stops as Ctrl-C stops it."""


def _terminated(_signum: int, _frame: object) -> None:
    raise Terminated


def hear_sigterm() -> None:
    """For a process that runs one command and ends (``python -m mailer``, the ``mailer`` command):
    SIGTERM raises ``Terminated`` from now on, unless the process was given a handler of its own or
    told to ignore it. On the main thread only, as Python allows."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        try:
            signal.signal(signal.SIGTERM, _terminated)
        except ValueError:  # not the main thread (a program running the command line in a thread of its own)
            return


def heard_as_ctrl_c(handler: Any) -> bool:
    """Whether ``handler`` (``signal.getsignal(signal.SIGTERM)``) is Python's default or ``hear_sigterm``'s:
    mailer may hear SIGTERM its own way for a while (the sender notes it), then put it back."""
    return handler is signal.SIG_DFL or handler is _terminated


def exit_code(stopped: BaseException) -> int:
    """The exit code for a command stopped by ``stopped`` (a KeyboardInterrupt): 143 for SIGTERM, 130 for Ctrl-C."""
    return SIGTERM_EXIT if isinstance(stopped, Terminated) else SIGINT_EXIT
