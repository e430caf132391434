"""``python -m mailer`` and the ``mailer`` command: the command line, stopped quietly from its first moment.

Loading the command line takes a few tenths of a second (Click, Rich, the command's modules): a
Ctrl-C meanwhile printed a Python traceback, and `kill PID` ended the process without a word
(review 26c #3). Here, before anything else loads, SIGTERM is heard as Ctrl-C (``stopping``), and
either ends the command with the words and exit code it has once loaded ("Stopped.", 130 or 143).
"""

from __future__ import annotations

import sys


def run() -> None:
    """The ``mailer`` command (pyproject.toml's entry point), for the process's own command line."""
    from mailer import stopping

    loaded = False
    try:
        stopping.hear_sigterm()
        from mailer.cli import main

        loaded = True
        main()  # answers a stop itself once a command runs; before and after that, here
    except KeyboardInterrupt as stopped:  # Ctrl-C, or SIGTERM, while the command line loads (or just before it ends)
        sys.stderr.write("Stopped.\n")
        code = stopping.exit_code(stopped)
        if not loaded and "--json" in sys.argv[1:]:  # a --json run still prints one document, as once loaded (cli.output.stopped_document)
            import json

            document: dict[str, object] = {
                "error": "Stopped at your request.",
                "hint": None,
                "exit_code": code,
                "interrupted": True,
                "warnings": [],
            }
            sys.stdout.write(json.dumps(document, indent=2) + "\n")
        raise SystemExit(code) from None


if __name__ == "__main__":
    run()
