"""``ctlab cleanup``: list, and on request remove, what interrupted writes left."""

from __future__ import annotations

import argparse

from ctlab_core.cli._commands import located

__all__ = ["run_cleanup"]


def run_cleanup(args: argparse.Namespace) -> int:
    """List the leftovers in each place; with ``--remove`` remove those that may go."""
    from ctlab_core._resume.leftovers import find_leftovers, remove_leftover

    found = [item for place in args.places for item in find_leftovers(located(args, place))]
    for item in found:
        print(item.text())
        if args.remove and item.removable:
            remove_leftover(item)
            print(f"  removed {item.location}")
    if not found:
        print(f"nothing left by interrupted writes in {', '.join(args.places)}")
    elif not args.remove and any(item.removable for item in found):
        print(f"remove them with: ctlab cleanup {' '.join(args.places)} --remove")
    return 0
