"""The ``ctlab`` command line.

Exit codes: 0 success, 1 a ctlab error (one line on stderr; ``--debug`` shows
the traceback), 2 a usage error. Heavy modules are imported inside commands.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ctlab_core.errors import CTLabError

__all__ = ["main"]


def _cmd_info(args: argparse.Namespace) -> int:
    from ctlab_core.dataset import Dataset

    ds = Dataset.from_path(args.path)
    if args.json:
        from ctlab_core.metadata import metadata_to_json

        print(json.dumps(metadata_to_json(ds), indent=2))
    else:
        print(f"{args.path}")
        print(ds.summary())
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    from ctlab_core.dataset import Dataset

    ds = Dataset.from_path(args.path)
    if args.json:
        print(json.dumps(ds.history.to_json(), indent=2))
        return 0
    for key, entry in ds.history.items():
        print(key)
        _print_tree(entry.parameters, "    ")
        if entry.raw_parameters is not None:
            print("    (unparsed) " + entry.raw_parameters.replace("\n", "\n    "))
        if entry.output.strip():
            print("    output:")
            for line in entry.output.strip("\n").split("\n"):
                print("        " + line)
    return 0


def _print_tree(parameters: Any, indent: str) -> None:
    for key, value in parameters.items():
        if isinstance(value, str):
            print(f"{indent}{key}: {value}")
    for key, value in parameters.items():
        if not isinstance(value, str):
            print(f"{indent}[{key}]")
            _print_tree(value, indent + "    ")


def _cmd_demo(args: argparse.Namespace) -> int:
    from ctlab_core.dataset import Dataset
    from ctlab_core.phantom import phantom

    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    side = args.size
    ds = phantom((side, side, side))
    target = out / "tomo_phantom.raw"
    print(f"writing a {side}³ phantom to {target}")
    ds.to_path(target, overwrite=True)
    back = Dataset.from_path(target)
    same = bool((back.data == ds.data).all().compute())
    print(back.summary())
    print(f"read back identical: {same}")
    return 0 if same else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ctlab", description="Read, convert and check ANU CTLab (MANGO) array datasets."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", required=True)

    info = commands.add_parser("info", help="describe a dataset")
    info.add_argument("path")
    info.add_argument("--json", action="store_true", help="print the metadata as JSON")
    info.set_defaults(run=_cmd_info)

    history = commands.add_parser("history", help="show a dataset's processing history")
    history.add_argument("path")
    history.add_argument("--json", action="store_true", help="print the history as JSON")
    history.set_defaults(run=_cmd_history)

    demo = commands.add_parser("demo", help="generate a phantom and round-trip it")
    demo.add_argument("dir", nargs="?", default="demo-output")
    demo.add_argument("--size", type=int, default=256, help="side of the cubic phantom")
    demo.set_defaults(run=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except CTLabError as error:
        if args.debug:
            raise
        print(f"ctlab: error: {error}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
