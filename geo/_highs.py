"""One way to make a HiGHS instance: quiet.

HiGHS prints a version banner ("Running HiGHS 1.x … Copyright …") on the C++ standard
output the first time a ``highspy.Highs`` is made in a process, before any option can
silence it; in a notebook (whose kernel captures that output) it lands among the results,
and in the CLI among the tables. :func:`new_highs` makes the first instance with the
process's standard output pointed at ``/dev/null`` and returns every instance with
``output_flag`` off.

Every instance also runs on one thread. HiGHS keeps one task scheduler per process, sized by
the first run; a later run asking for another ``threads`` value does not solve at all (its
status stays "not set"), so a zones solve after a siting solve in the same server lost its
LP bound. One value for all keeps every solve independent of what ran before (and HiGHS's
branch and bound is serial, so one thread costs the MIPs nothing measurable).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping

import highspy

__all__ = ["new_highs", "set_options"]

_LOCK = threading.Lock()
_quiet_once = False


def new_highs() -> highspy.Highs:
    """A ``highspy.Highs`` that prints nothing (its version banner included)."""
    global _quiet_once  # noqa: PLW0603 - the banner is printed once per process
    with _LOCK:
        if _quiet_once:
            h = highspy.Highs()
        else:
            h = _without_stdout(highspy.Highs)
            _quiet_once = True
    set_options(h, {"output_flag": False, "threads": 1})
    return h


def set_options(h: highspy.Highs, options: Mapping[str, bool | int | float | str]) -> None:
    """Set HiGHS options by name; an option this HiGHS does not know, or a value it
    refuses, raises instead of being ignored (HiGHS only returns an error status, and a
    solve would then run on settings nobody chose).

    Raises
    ------
    ValueError
        Naming the option and the value.
    """
    for name, value in options.items():
        if h.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            msg = f"HiGHS {h.version()} refused option {name}={value!r}"
            raise ValueError(msg)


def _without_stdout(make: type[highspy.Highs]) -> highspy.Highs:
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        return make()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
