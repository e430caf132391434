"""Start-up cost of the ``mailer`` command: CPU of `mailer --help`, `--version` and a command's help.

Run with ``python benchmarks/startup.py`` (``--repeat 15`` for steadier medians; ``--tree
/path/to/other/checkout`` times another copy of the code, for a before/after). Each command
runs in a fresh process; its CPU (user + system) and peak memory come from that child's own
resource usage (``os.wait4``), so other work on the machine barely moves them. Printed beside
`python -c pass` in the same run (the interpreter's own floor) and the 0.3 s target of issue 12.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
TARGET_CPU = 0.3  # seconds, issue 12
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "mailer --help": ["-m", "mailer", "--help"],
    "mailer --version": ["-m", "mailer", "--version"],
    "mailer lists check --help": ["-m", "mailer", "lists", "check", "--help"],
    "mailer send --help": ["-m", "mailer", "send", "--help"],
}


def run_once(args: list[str], tree: Path) -> tuple[float, float]:
    """CPU seconds (user + system) and peak memory (MB) of one ``python ARGS`` child, run in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    process = subprocess.Popen([sys.executable, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tree)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"python {' '.join(args)} failed with exit code {process.returncode}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs per command; the median is reported (default 9)")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose mailer package to time (default: this one)")
    args = parser.parse_args()
    print(f"{'command':<28} {'CPU median':>10} {'min':>7} {'vs pass':>8} {'target':>7} {'peak MB':>8}")
    floor = None
    for name, command in COMMANDS.items():
        runs = [run_once(command, args.tree) for _ in range(args.repeat)]
        cpu = statistics.median(seconds for seconds, _ in runs)
        best = min(seconds for seconds, _ in runs)
        peak = max(memory for _, memory in runs)
        floor = cpu if floor is None else floor
        verdict = "" if name.startswith("python") else ("ok" if cpu < TARGET_CPU else "MISSED")
        ratio = f"{cpu / floor:.1f}x" if floor else "-"
        print(f"{name:<28} {cpu:>9.3f}s {best:>6.3f}s {ratio:>8} {verdict:>7} {peak:>8.0f}")
    print(f"target: every mailer line under {TARGET_CPU} s CPU (median of {args.repeat} runs)")


if __name__ == "__main__":
    main()
