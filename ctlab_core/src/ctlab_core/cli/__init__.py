"""The ``ctlab`` command line: info, convert, verify, history, preview, cleanup, demo.

Exit codes: 0 success; 1 an error, reported on one line of stderr (``--debug``
shows the traceback); 2 a usage error; 130 interrupted (SIGINT), 143
terminated (SIGTERM); 141 quietly when the reader of the output went away
(``ctlab history x | head -1``). Codec options become flags through
:mod:`ctlab_core.cli._flags`, so ``--help`` shows what the installed codecs
offer.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any

from ctlab_core._spelling import command_line
from ctlab_core.cli._flags import DeclaredFlags, add_conversion_flags, add_declared_flags
from ctlab_core.cli._help import PAGES, demo_description, examples
from ctlab_core.codec import AnyCodec
from ctlab_core.errors import CTLabError

__all__ = ["Terminated", "main"]

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like an interrupt so that the same cleanup runs."""


def _version() -> str:
    from ctlab_core import __version__, registry

    parts = []
    for name in registry.available_codecs():
        try:
            found = registry.codec_distribution(name)
        except CTLabError:  # registered twice: reported when it is used
            found = None
        parts.append(name if found is None else f"{name} ({found[0]} {found[1]})")
    return f"ctlab {__version__}; codecs: {', '.join(parts) or 'none'}"


class _VersionAction(argparse.Action):
    """``--version``: ctlab's version and each installed codec's distribution, unwrapped."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any, **_kwargs: Any) -> None:
        print(_version())
        parser.exit()


class _Help(argparse.RawDescriptionHelpFormatter):
    """Descriptions and examples keep their lines."""


def _command(
    commands: Any, name: str, codecs: dict[str, AnyCodec], description: str | None = None
) -> argparse.ArgumentParser:
    summary, text = PAGES[name]
    lines = "".join(f"\n  {line}" for line in examples(name, codecs))
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=summary,
        description=f"{summary}.\n\n{text if description is None else description}",
        epilog="examples:" + lines if lines else None,
        formatter_class=_Help,
    )
    return parser


def _installed_codecs() -> dict[str, AnyCodec]:
    from ctlab_core import registry

    codecs: dict[str, AnyCodec] = {}
    for name in registry.available_codecs():
        try:
            codecs[name] = registry.get_codec(name)
        except CTLabError:
            continue  # a broken plugin: reported when it is used, not on --help
    return codecs


def _parser(
    codecs: dict[str, AnyCodec],
) -> tuple[argparse.ArgumentParser, dict[str, DeclaredFlags]]:
    from ctlab_core.cli._commands import demo_chain

    parser = argparse.ArgumentParser(
        prog="ctlab",
        description="Read, convert and check ANU CTLab (MANGO) array datasets.",
        epilog="Run 'ctlab COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument(
        "--version", action=_VersionAction, help="show the versions of ctlab and its codecs"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    flags: dict[str, DeclaredFlags] = {}

    def reading(sub: argparse.ArgumentParser, key: str) -> None:
        flags[key] = add_declared_flags(sub, codecs, "read")
        _storage_flags(sub)

    def source_format(sub: argparse.ArgumentParser, what: str) -> None:
        sub.add_argument(
            "--from",
            dest="source_format",
            choices=sorted(codecs),
            metavar="FORMAT",
            help=f"format to read {what} as: {', '.join(sorted(codecs))} "
            "(default: the one that recognises it)",
        )

    def describing(name: str, what: str) -> None:
        """A command that prints ``what`` of one dataset (``info``, ``history``)."""
        command = _command(commands, name, codecs)
        command.add_argument("path")
        command.add_argument("--json", action="store_true", help=f"print {what} as JSON")
        source_format(command, "PATH")
        reading(command, name)

    describing("info", "the metadata")

    conv = _command(commands, "convert", codecs)
    conv.add_argument("src", help="the dataset to read")
    conv.add_argument("dst", help="the dataset to write")
    source_format(conv, "SRC")
    conv.add_argument("--to", choices=sorted(codecs), help="format of DST (default: from its name)")
    conv.add_argument("--overwrite", action="store_true", help="replace an existing DST dataset")
    conv.add_argument(
        "--voxel-size",
        type=float,
        nargs=3,
        metavar=("Z", "Y", "X"),
        help="set the voxel size: Z,Y,X or Z Y X",
    )
    conv.add_argument(
        "--voxel-unit", help="with --voxel-size: its unit; alone: convert the voxel size to it"
    )
    run = conv.add_argument_group("running")
    run.add_argument(
        "--scheduler",
        choices=("threads", "processes", "distributed"),
        help="dask scheduler (default: threads)",
    )
    run.add_argument("--workers", type=_positive, help="number of workers")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--address", help="HOST:PORT of a running dask scheduler")
    where.add_argument(
        "--scheduler-file",
        metavar="PATH",
        help="a dask scheduler file (written by dask scheduler, dask-mpi, dask-jobqueue)",
    )
    run.add_argument(
        "--task-size",
        type=_bytes,
        metavar="BYTES",
        help="data one task holds, e.g. 64MiB (default 128MiB): peak memory is about "
        "a few times this per worker",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    run.add_argument(
        "--resume",
        action="store_true",
        help="keep the partial output of an interrupted, failed or killed run (in "
        ".DST.ctlab-resume) and, run again, finish it: only what is missing or damaged "
        "is written",
    )
    run.add_argument(
        "--restart",
        action="store_true",
        help="as --resume, but discard what an earlier run kept and start over",
    )
    flags["convert-read"], flags["convert-write"] = add_conversion_flags(conv, codecs)
    _storage_flags(conv)

    verify = _command(commands, "verify", codecs)
    verify.add_argument("paths", nargs="+", metavar="PATH")
    source_format(verify, "each PATH")
    verify.add_argument(
        "--against",
        metavar="SOURCE",
        help="compare PATH with SOURCE voxel for voxel (a pyramid's levels by their rule of "
        "downsampling) instead; exit 1 naming the first region that differs",
    )
    reading(verify, "verify")

    cleanup = _command(commands, "cleanup", codecs)
    cleanup.add_argument(
        "places", nargs="*", default=["."], metavar="DIR", help="directories or s3:// prefixes"
    )
    cleanup.add_argument("--remove", action="store_true", help="remove what is listed")
    _storage_flags(cleanup)

    describing("history", "the history")

    preview = _command(commands, "preview", codecs)
    preview.add_argument("path")
    preview.add_argument(
        "-o",
        "--output",
        metavar="FILE.png",
        help="the PNG to write (default: <name>_preview.png here)",
    )
    source_format(preview, "PATH")
    reading(preview, "preview")

    chain = [step for _, step in demo_chain(codecs)]
    demo = _command(commands, "demo", codecs, demo_description(chain))
    demo.add_argument("dir", nargs="?", default="demo-output")
    demo.add_argument("--size", type=_positive, default=256, help="side of the cubic phantom")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser, flags


def _storage_flags(parser: argparse.ArgumentParser) -> None:
    """Flags for datasets on S3 (s3:// URLs); the AWS variables and profiles apply too."""
    group = parser.add_argument_group("object storage (s3:// URLs)")
    group.add_argument(
        "--anon", action="store_true", help="read without credentials (a public bucket)"
    )
    group.add_argument("--profile", metavar="NAME", help="a profile of the AWS config files")
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="the S3 endpoint (an S3-compatible store; default $AWS_ENDPOINT_URL or AWS)",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _bytes(text: str) -> int:
    from dask.utils import parse_bytes

    try:
        value = int(parse_bytes(text))
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected a size such as 64MiB, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive size, got {text!r}")
    return value


def _dispatch(
    args: argparse.Namespace, flags: dict[str, DeclaredFlags], codecs: dict[str, AnyCodec]
) -> int:
    from ctlab_core.cli import _commands as commands

    runs: dict[str, Callable[[], int]] = {
        "info": lambda: commands.run_info(args, flags["info"]),
        "convert": lambda: commands.run_convert(
            args, flags["convert-read"], flags["convert-write"]
        ),
        "verify": lambda: commands.run_verify(args, flags["verify"]),
        "history": lambda: commands.run_history(args, flags["history"]),
        "preview": lambda: _run_preview(args, flags["preview"]),
        "cleanup": lambda: _run_cleanup(args),
        "demo": lambda: commands.run_demo(args, codecs),
    }
    return runs[args.command]()


def _run_preview(args: argparse.Namespace, flags: DeclaredFlags) -> int:
    from ctlab_core.cli._preview import run_preview

    return run_preview(args, flags)


def _run_cleanup(args: argparse.Namespace) -> int:
    from ctlab_core.cli._cleanup import run_cleanup

    return run_cleanup(args)


def _notes(error: BaseException) -> None:
    """What the error adds (a kept staging and how to resume it), a line each."""
    for note in getattr(error, "__notes__", ()):
        print(f"ctlab: {note}", file=sys.stderr)


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated


def _triples(argv: Sequence[str]) -> list[str]:
    """``--voxel-size Z,Y,X`` (or ``=Z,Y,X``) as the three values the flag takes."""
    out: list[str] = []
    for arg in argv:
        flag, equals, value = arg.partition("=")
        if flag == "--voxel-size" and equals:
            out.append(flag)
            arg = value
        if out and out[-1] == "--voxel-size" and "," in arg:
            out += [part.strip() for part in arg.split(",")]
        else:
            out.append(arg)
    return out


@contextlib.contextmanager
def _warnings_on_one_line(debug: bool) -> Iterator[None]:
    """Within the block, a warning prints as ``ctlab: warning: MESSAGE`` (with ``--debug``,
    as Python shows it: where it was raised)."""
    if debug:
        yield
        return

    def show(message: Warning | str, *_: object, **__: object) -> None:
        text = " ".join(str(message).split())
        print(f"ctlab: warning: {text}", file=sys.stderr, flush=True)

    previous = warnings.showwarning
    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    previous = signal.signal(signal.SIGTERM, _terminate)
    given = _triples(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in given
    try:
        codecs = _installed_codecs()
        parser, flags = _parser(codecs)
        args = parser.parse_args(given)
        with command_line(), _warnings_on_one_line(debug):
            return _dispatch(args, flags, codecs)
    except Terminated as error:
        print("ctlab: terminated", file=sys.stderr)
        _notes(error)
        return EXIT_TERMINATED
    except KeyboardInterrupt as error:
        print("ctlab: interrupted", file=sys.stderr)
        _notes(error)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (``| head``): say nothing, and keep Python from
        # complaining when it flushes stdout at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as error:
        if debug:
            raise
        from ctlab_core.cli._commands import one_line

        print(f"ctlab: error: {one_line(error)}", file=sys.stderr)
        _notes(error)
        return EXIT_ERROR
    finally:
        signal.signal(signal.SIGTERM, previous)
