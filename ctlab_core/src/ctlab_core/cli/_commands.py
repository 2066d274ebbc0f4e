"""The ``ctlab`` subcommands: info, convert, verify, history, demo.

Each takes the parsed arguments and returns an exit code; errors are raised
(the entry point turns them into one line). Heavy modules are imported inside
the commands, so ``--help`` stays quick.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from ctlab_core.cli._flags import DeclaredFlags, for_conversion
from ctlab_core.location import Location

if TYPE_CHECKING:
    from ctlab_core.codec import AnyCodec
    from ctlab_core.dataset import Dataset
    from ctlab_core.display import DisplayWindow
    from ctlab_core.presentation import DemoStep

__all__ = [
    "convert",
    "demo_chain",
    "run_demo",
    "run_history",
    "run_info",
    "run_verify",
    "verify_text",
]


def one_line(error: BaseException) -> str:
    """The error as the one line the command prints (no library internals, no errno)."""
    from ctlab_core.errors import CTLabError

    if isinstance(error, CTLabError):
        text = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    elif isinstance(error, OSError) and error.strerror:
        where = error.filename or ""
        text = f"{where}: {error.strerror}" if where else error.strerror
    else:
        text = f"{type(error).__name__}: {error} (run with --debug for the traceback)"
    return " ".join(text.split("\n"))


def _reading_codec(args: argparse.Namespace, location: Location) -> AnyCodec:
    """The codec ``--from`` names, else the one that recognises ``location``."""
    from ctlab_core import registry

    return registry.codec_for_reading(location, getattr(args, "source_format", None) or "auto")


def _open(args: argparse.Namespace, flags: DeclaredFlags) -> tuple[AnyCodec, Dataset]:
    """The codec of ``args.path`` and the dataset it reads, with the given read options."""
    from ctlab_core._reading import read_options

    location = located(args, args.path)
    codec = _reading_codec(args, location)
    given = flags.for_codec(args, codec, str(location))
    return codec, codec.read(location, read_options(codec, location, given))


def located(args: argparse.Namespace, where: str) -> Location:
    """The location of ``where`` with the storage flags (``--anon``, ``--profile``,
    ``--endpoint-url``) when it is a URL."""
    location = Location.of(where)
    if location.is_local:
        return location
    options = {
        name: value
        for name, value in (
            ("anon", getattr(args, "anon", False) or None),
            ("profile", getattr(args, "profile", None)),
            ("endpoint_url", getattr(args, "endpoint_url", None)),
        )
        if value is not None
    }
    return Location.of(location, options) if location.scheme == "s3" else location


# --- info --------------------------------------------------------------------


def _disk_bytes(location: Location) -> int | None:
    """Bytes the dataset takes on a local disk (None for a URL)."""
    if not location.is_local:
        return None
    path = location.path
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _human(n: float) -> str:
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    step = 0
    while n >= 1024 and step < len(units) - 1:
        n /= 1024
        step += 1
    return f"{int(n)} B" if step == 0 else f"{n:.1f} {units[step]}"


def info_json(
    location: Location, fmt: str, ds: Dataset, details: Mapping[str, Any]
) -> dict[str, Any]:
    """What ``ctlab info --json`` prints."""
    from ctlab_core._converter import plain
    from ctlab_core.raw import metadata_to_json

    return {
        "path": str(location),
        "format": fmt,
        **metadata_to_json(ds),
        "voxel_size_xyz": list(ds.voxel_size_xyz),
        "chunks": [list(c) for c in ds.chunks],
        "bytes_on_disk": _disk_bytes(location),
        "bytes_in_memory": ds.nbytes,
        "details": plain(dict(details)),
    }


def info_text(location: Location, fmt: str, ds: Dataset, details: Mapping[str, Any]) -> str:
    """What ``ctlab info`` prints."""
    zyx = ", ".join(f"{v:g}" for v in ds.voxel_size)
    xyz = ", ".join(f"{v:g}" for v in ds.voxel_size_xyz)
    chunk = "x".join(str(max(c, default=0)) for c in ds.chunks)
    blocks = math.prod(len(c) for c in ds.chunks)
    names = ", ".join(ds.dimension_names)
    lines = [
        f"{location}",
        f"  format        {fmt}",
        f"  shape         {' x '.join(map(str, ds.shape))} ({names})",
        f"  dtype         {ds.dtype}",
        f"  datatype      {ds.datatype.value if ds.datatype else '(none)'}",
        f"  voxel size    ({zyx}) {ds.voxel_unit.value} as {names}; ({xyz}) as x, y, z",
        f"  chunks        {chunk} ({_count(blocks, 'dask chunk')})",
        f"  size          {_size_text(_disk_bytes(location), ds.nbytes)}",
        f"  dataset_id    {ds.dataset_id or '(none)'}",
    ]
    lines += [f"  {key:<13} {value}" for key, value in details.items()]
    lines.append(f"  history       {_count(len(ds.history), 'entry', 'entries')}")
    lines += [f"    {key}" for key in ds.history]
    return "\n".join(lines)


def _count(n: int, one: str, many: str | None = None) -> str:
    """``1 entry``, ``2 entries``; ``1 dask chunk``, ``3 dask chunks``."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _size_text(on_disk: int | None, in_memory: int) -> str:
    stored = "" if on_disk is None else f"{_human(on_disk)} on disk, "
    return f"{stored}{_human(in_memory)} in memory"


def _window(
    args: argparse.Namespace, flags: DeclaredFlags, codec: AnyCodec
) -> DisplayWindow | None:
    """The display window the dataset records (metadata only), for ``info``."""
    from ctlab_core._reading import read_options
    from ctlab_core.display import recorded_window

    location = located(args, args.path)
    given = flags.for_codec(args, codec, str(location))
    return recorded_window(codec, location, read_options(codec, location, given))


def run_info(args: argparse.Namespace, flags: DeclaredFlags) -> int:
    codec, ds = _open(args, flags)
    location = located(args, args.path)
    window = _window(args, flags, codec)
    details = codec.describe(location)
    if args.json:
        found = info_json(location, codec.name, ds, details)
        found["window"] = window.to_json() if window else None
        print(json.dumps(found, indent=2))
    else:
        shown = {**details, "window": window.text() if window else "(not recorded)"}
        print(info_text(location, codec.name, ds, shown))
    return 0


# --- history -----------------------------------------------------------------


def _print_tree(parameters: Mapping[str, Any], indent: str) -> None:
    for key, value in parameters.items():
        if isinstance(value, str):
            print(f"{indent}{key}: {value}")
    for key, value in parameters.items():
        if not isinstance(value, str):
            print(f"{indent}{key}/")
            _print_tree(value, indent + "    ")


def run_history(args: argparse.Namespace, flags: DeclaredFlags) -> int:
    _, ds = _open(args, flags)
    if args.json:
        print(json.dumps(ds.history.to_json(), indent=2))
        return 0
    for key, entry in ds.history.items():
        print(key)
        _print_tree(entry.parameters, "    ")
        if entry.raw_parameters is not None:
            print("    (unparsed parameters)")
            for line in entry.raw_parameters.strip("\n").split("\n"):
                print("        " + line)
        if entry.output.strip():
            print("    output:")
            for line in entry.output.strip("\n").split("\n"):
                print("        " + line)
    return 0


# --- verify ------------------------------------------------------------------


def verify_text(
    location: Location, options: Mapping[str, Any] | None = None, codec: AnyCodec | None = None
) -> str:
    """Check a dataset thoroughly; the report (``OK ...`` and notes) or a CTLabError."""
    from ctlab_core import registry
    from ctlab_core._reading import read_options

    codec = codec or registry.codec_for_reading(location)
    chosen = read_options(codec, location, options or {})
    notes = codec.verify(location, chosen)
    ds = codec.read(location, chosen)
    lines = [f"OK {location} ({codec.name}, {' x '.join(map(str, ds.shape))} {ds.dtype})"]
    lines += [f"   note: {note}" for note in notes]
    return "\n".join(lines)


def run_verify(args: argparse.Namespace, flags: DeclaredFlags) -> int:
    """Each path's report on stdout, or its error on one line of stderr; 1 if any failed.
    With ``--against``, one path compared with its source (:func:`against_text`)."""
    if getattr(args, "against", None):
        return _run_verify_against(args, flags)
    failed = 0
    for path in args.paths:
        try:
            location = located(args, path)
            codec = _reading_codec(args, location)
            report = verify_text(location, flags.for_codec(args, codec, str(location)), codec)
        except Exception as error:
            if getattr(args, "debug", False):
                raise
            failed += 1
            print(f"ctlab: error: {one_line(error)}", file=sys.stderr, flush=True)
            continue
        print(report, flush=True)
    return 1 if failed else 0


def _run_verify_against(args: argparse.Namespace, flags: DeclaredFlags) -> int:
    """``verify OUTPUT --against SOURCE``: 0 when equal (DataMismatchError otherwise)."""
    if len(args.paths) != 1:
        print(
            f"ctlab: error: verify --against compares one PATH with SOURCE (got {len(args.paths)})",
            file=sys.stderr,
        )
        return 2
    location = located(args, args.paths[0])
    codec = _reading_codec(args, location)
    given = flags.for_codec(args, codec, str(location))
    print(against_text(location, located(args, args.against), given))
    return 0


def against_text(output: Location, source: Location, options: Mapping[str, Any]) -> str:
    """Compare ``output`` with ``source`` voxel for voxel; the report, or DataMismatchError."""
    from ctlab_core.comparison import verify_against

    first, *rest = verify_against(output, source, **options)
    return "\n".join([f"OK {first}", *(f"   {note}" for note in rest)])


# --- convert -----------------------------------------------------------------


def convert(
    args: argparse.Namespace,
    read_flags: DeclaredFlags,
    write_flags: DeclaredFlags,
    *,
    progress: bool,
) -> tuple[str, Path | str]:
    """Convert ``args.src`` to ``args.dst``; the new dataset id and the path written."""
    from ctlab_core import registry

    src = located(args, args.src)
    source_codec = _reading_codec(args, src)
    codec, dst = registry.codec_for_writing(located(args, args.dst), args.to or "auto")
    reads, writes = for_conversion(
        args, (read_flags, write_flags), (source_codec, src), (codec, dst)
    )
    return _convert(args, (source_codec, src, reads), (codec, dst, writes), progress=progress)


Side: TypeAlias = "tuple[AnyCodec, Location, Mapping[str, Any]]"
"""A codec, its location and its options."""


def _convert(
    args: argparse.Namespace, source: Side, target: Side, *, progress: bool
) -> tuple[str, Path | str]:
    """Read ``source``, write ``target``; ``args`` holds the voxel and scheduling flags."""
    import dask

    from ctlab_core._convert import plan_conversion
    from ctlab_core._reading import read_options
    from ctlab_core._writing import Resume, run_write

    source_codec, src, reads = source
    codec, dst, writes = target
    dataset = source_codec.read(src, read_options(source_codec, src, reads))
    plan, key = plan_conversion(
        dataset,
        src,
        dst,
        codec=codec,
        write_options=dict(writes),
        voxel_size=args.voxel_size,
        voxel_unit=args.voxel_unit,
    )
    config = {} if args.task_size is None else {"ctlab.task-bytes": args.task_size}
    address = args.address
    if getattr(args, "scheduler_file", None):
        from ctlab_core._scheduling import address_from_file

        address = address_from_file(args.scheduler_file)
    scheduling = {
        "scheduler": args.scheduler,
        "workers": args.workers,
        "address": address,
        "progress": progress,
    }
    resume: Resume = (
        "restart" if getattr(args, "restart", False) else bool(getattr(args, "resume", False))
    )
    with dask.config.set(config):
        path = run_write(
            plan,
            dst,
            filetype=codec.name,
            overwrite=args.overwrite,
            scheduling=scheduling,
            resume=resume,
            **writes,
        )
    return key, path


def run_convert(
    args: argparse.Namespace, read_flags: DeclaredFlags, write_flags: DeclaredFlags
) -> int:
    progress = not args.quiet and sys.stderr.isatty()
    key, path = convert(args, read_flags, write_flags, progress=progress)
    if not args.quiet:
        print(f"wrote {path} (dataset_id {key})")
    return 0


# --- demo --------------------------------------------------------------------


def demo_chain(codecs: Mapping[str, AnyCodec]) -> list[tuple[AnyCodec, DemoStep]]:
    """The demo's outputs: the installed codecs' demo steps, in sniffing order.

    Fallback steps join only when the others are fewer than two, so the demo
    converts between formats whenever two are installed.
    """
    declared = [
        (codec, step) for codec in codecs.values() if (step := codec.presentation.demo) is not None
    ]
    main = [(codec, step) for codec, step in declared if not step.fallback]
    return main if len(main) >= 2 else declared


def run_demo(args: argparse.Namespace, codecs: Mapping[str, AnyCodec]) -> int:
    from ctlab_core import registry
    from ctlab_core._writing import run_write
    from ctlab_core.errors import CTLabError
    from ctlab_core.phantom import phantom

    chain = demo_chain(codecs)
    if not chain:
        raise CTLabError("ctlab demo: no installed codec declares a demo step")
    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    progress = not args.quiet and sys.stderr.isatty()
    side = args.size
    count = len(chain) + 2
    targets = [
        registry.codec_for_writing(Location.of(out / step.name), codec.name)
        for codec, step in chain
    ]
    paths = [path for _, path in targets]
    (first_codec, first), *rest = chain
    print(f"1/{count} writing a {side}^3 uint16 phantom as {first.what}: {paths[0]}")
    run_write(
        phantom((side, side, side)),
        paths[0],
        filetype=first_codec.name,
        overwrite=True,
        scheduling={"progress": progress},
        **first.options,
    )
    source_codec = registry.codec_for_reading(paths[0])
    running = argparse.Namespace(
        voxel_size=None,
        voxel_unit=None,
        overwrite=True,
        scheduler=None,
        workers=None,
        address=None,
        task_size=None,
    )
    for number, ((codec, step), path) in enumerate(zip(rest, paths[1:], strict=True), start=2):
        print(f"{number}/{count} converting it to {step.what}: {path}")
        source: Side = (source_codec, paths[0], {})
        _convert(running, source, (codec, path, step.options), progress=progress)
    print(f"{count - 1}/{count} verifying")
    for path in paths:
        print("    " + verify_text(path).replace("\n", "\n    "))
    print(f"{count}/{count} info")
    for path in paths:
        codec = registry.codec_for_reading(path)
        ds = codec.read(path, codec.read_options())
        print(info_text(path, codec.name, ds, codec.describe(path)))
    return 0
