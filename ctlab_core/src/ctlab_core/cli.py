"""The ``ctlab`` command line: info, convert, verify, history, demo.

Exit codes: 0 success, 1 a ctlab error (one line on stderr; ``--debug`` shows
the traceback), 2 a usage error. Heavy modules (numpy, dask, codecs) are
imported inside the commands, so ``--help`` stays quick.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctlab_core.errors import CTLabError

if TYPE_CHECKING:
    from ctlab_core.dataset import Dataset

__all__ = ["main"]


# --- info --------------------------------------------------------------------


def _disk_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _describe(path: Path) -> tuple[str, Dataset, dict[str, Any]]:
    from ctlab_core import registry

    codec = registry.codec_for_reading(path)
    ds = codec.read(path)
    describe = getattr(codec, "describe", None)
    details: dict[str, Any] = dict(describe(path)) if callable(describe) else {}
    return codec.name, ds, details


def _info_json(path: Path, fmt: str, ds: Dataset, details: Mapping[str, Any]) -> dict[str, Any]:
    from ctlab_core.metadata import metadata_to_json, plain

    return {
        "path": str(path),
        "format": fmt,
        **metadata_to_json(ds),
        "voxel_size_xyz": list(ds.voxel_size_xyz),
        "chunks": [list(c) for c in ds.data.chunks],
        "bytes_on_disk": _disk_bytes(path),
        "bytes_in_memory": int(ds.data.nbytes),
        "details": plain(dict(details)),
    }


def _human(n: float) -> str:
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    step = 0
    while n >= 1024 and step < len(units) - 1:
        n /= 1024
        step += 1
    return f"{int(n)} B" if step == 0 else f"{n:.1f} {units[step]}"


def _info_text(path: Path, fmt: str, ds: Dataset, details: Mapping[str, Any]) -> str:
    zyx = ", ".join(f"{v:g}" for v in ds.voxel_size)
    xyz = ", ".join(f"{v:g}" for v in ds.voxel_size_xyz)
    chunk = "x".join(str(c) for c in ds.data.chunksize)
    names = ", ".join(ds.dimension_names)
    lines = [
        f"{path}",
        f"  format        {fmt}",
        f"  shape         {' x '.join(map(str, ds.shape))} ({names})",
        f"  dtype         {ds.dtype}",
        f"  datatype      {ds.datatype.value if ds.datatype else '(none)'}",
        f"  voxel size    ({zyx}) {ds.voxel_unit.value} as {names}; ({xyz}) as x, y, z",
        f"  chunks        {chunk} ({ds.data.npartitions} dask chunks)",
        f"  size          {_human(_disk_bytes(path))} on disk, "
        f"{_human(int(ds.data.nbytes))} in memory",
        f"  dataset_id    {ds.dataset_id or '(none)'}",
    ]
    lines += [f"  {key:<13} {value}" for key, value in details.items()]
    lines.append(f"  history       {len(ds.history)} entries")
    lines += [f"    {key}" for key in ds.history]
    return "\n".join(lines)


def _cmd_info(args: argparse.Namespace) -> int:
    path = Path(args.path)
    fmt, ds, details = _describe(path)
    if args.json:
        print(json.dumps(_info_json(path, fmt, ds, details), indent=2))
    else:
        print(_info_text(path, fmt, ds, details))
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
            print("    (unparsed parameters)")
            for line in entry.raw_parameters.strip("\n").split("\n"):
                print("        " + line)
        if entry.output.strip():
            print("    output:")
            for line in entry.output.strip("\n").split("\n"):
                print("        " + line)
    return 0


# --- verify ------------------------------------------------------------------


def verify_path(path: Path) -> str:
    """Check a dataset thoroughly; returns a one-line summary or raises a CTLabError."""
    from ctlab_core import registry

    codec = registry.codec_for_reading(path)
    verify = getattr(codec, "verify", None)
    if callable(verify):
        verify(path)
    ds = codec.read(path)
    # Reading every chunk proves the store decodes; the reduction keeps memory small.
    ds.data.sum(dtype="float64").compute()
    return f"OK {path} ({codec.name}, {' x '.join(map(str, ds.shape))} {ds.dtype})"


def _cmd_verify(args: argparse.Namespace) -> int:
    print(verify_path(Path(args.path)))
    return 0


# --- convert -----------------------------------------------------------------


def _shape_arg(text: str) -> tuple[int, ...] | int:
    parts = [p for p in text.replace("x", ",").split(",") if p.strip()]
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or Z,Y,X, got {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive sizes, got {text!r}")
    return values[0] if len(values) == 1 else values


def _levels_arg(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'auto', got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("--levels must be at least 1")
    return value


def _write_options(args: argparse.Namespace) -> dict[str, Any]:
    names = {
        "levels": args.levels,
        "compression_level": args.compression_level,
        "slices_per_file": args.slices_per_file,
        "chunks": args.chunks,
        "shards": args.shards,
    }
    return {key: value for key, value in names.items() if value is not None}


def convert(args: argparse.Namespace, *, progress: bool) -> str:
    """Convert ``args.src`` to ``args.dst``; returns the new dataset id."""
    from ctlab_core import registry
    from ctlab_core.convert import plan_conversion, write_lazily
    from ctlab_core.dataset import Dataset
    from ctlab_core.publish import discard_temporaries
    from ctlab_core.scheduling import run

    src, dst = Path(args.src), Path(args.dst)
    fmt = registry.get_codec(args.to).name if args.to else registry.codec_for_writing(dst).name
    read_options = {"datatype": args.datatype} if args.datatype else {}
    source = Dataset.from_path(src, **read_options)
    options = _write_options(args)
    plan, key = plan_conversion(
        source,
        src,
        dst,
        fmt=fmt,
        write_options=options,
        voxel_size=args.voxel_size,
        voxel_unit=args.voxel_unit,
    )
    started = time.time() - 1
    work = write_lazily(plan, dst, fmt, {**options, "overwrite": args.overwrite})
    try:
        run(
            work,
            scheduler=args.scheduler,
            workers=args.workers,
            address=args.address,
            progress=progress,
        )
    except BaseException:
        discard_temporaries(dst, started)
        raise
    return key


def _cmd_convert(args: argparse.Namespace) -> int:
    progress = not args.quiet and sys.stderr.isatty()
    key = convert(args, progress=progress)
    if not args.quiet:
        print(f"wrote {args.dst} (dataset_id {key})")
    return 0


# --- demo --------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    from ctlab_core.phantom import phantom
    from ctlab_core.scheduling import run

    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    progress = not args.quiet and sys.stderr.isatty()
    netcdf, zarr = out / "tomo_phantom_nc", out / "tomo_phantom.ome.zarr"
    side = args.size
    ds = phantom((side, side, side))
    print(f"1/4 writing a {side}^3 uint16 phantom as MANGO split NetCDF: {netcdf}")
    work = ds.to_path(netcdf, overwrite=True, compute=False, slices_per_file=max(1, side // 8))
    if work is not None:
        run(work, progress=progress)
    print(f"2/4 converting it to an OME-Zarr pyramid: {zarr}")
    convert_args = _parser().parse_args(
        ["convert", str(netcdf), str(zarr), "--levels", "auto", "--overwrite"]
    )
    convert(convert_args, progress=progress)
    print("3/4 verifying both")
    for path in (netcdf, zarr):
        print("    " + verify_path(path))
    print("4/4 info")
    for path in (netcdf, zarr):
        print(_info_text(path, *_describe(path)))
    return 0


# --- parser ------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ctlab", description="Read, convert and check ANU CTLab (MANGO) array datasets."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = commands.add_parser("info", help="describe a dataset")
    info.add_argument("path")
    info.add_argument("--json", action="store_true", help="print the metadata as JSON")
    info.set_defaults(run=_cmd_info)

    conv = commands.add_parser("convert", help="convert a dataset to another format")
    conv.add_argument("src")
    conv.add_argument("dst")
    conv.add_argument("--to", choices=("netcdf", "zarr", "raw"), help="format (default: by name)")
    conv.add_argument("--overwrite", action="store_true", help="replace an existing DST")
    conv.add_argument("--levels", type=_levels_arg, help="zarr: pyramid levels, N or auto")
    conv.add_argument("--compression-level", type=int, help="netcdf: zlib level, 0 = none")
    conv.add_argument("--slices-per-file", type=int, help="netcdf: z slices per block file")
    conv.add_argument("--chunks", type=_shape_arg, help="zarr: inner chunk shape, N or Z,Y,X")
    conv.add_argument("--shards", type=_shape_arg, help="zarr: shard shape, N or Z,Y,X")
    conv.add_argument("--datatype", help="read SRC as this MANGO datatype")
    conv.add_argument(
        "--voxel-size", type=float, nargs=3, metavar=("Z", "Y", "X"), help="set the voxel size"
    )
    conv.add_argument(
        "--voxel-unit", help="with --voxel-size: its unit; alone: convert the voxel size to it"
    )
    conv.add_argument(
        "--scheduler", choices=("threads", "processes", "distributed"), default="threads"
    )
    conv.add_argument("--workers", type=int, help="number of workers")
    conv.add_argument("--address", help="HOST:PORT of a running dask scheduler")
    conv.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    conv.set_defaults(run=_cmd_convert)

    verify = commands.add_parser("verify", help="check checksums, structure and metadata")
    verify.add_argument("path")
    verify.set_defaults(run=_cmd_verify)

    history = commands.add_parser("history", help="show a dataset's processing history")
    history.add_argument("path")
    history.add_argument("--json", action="store_true", help="print the history as JSON")
    history.set_defaults(run=_cmd_history)

    demo = commands.add_parser(
        "demo", help="phantom -> split NetCDF -> OME-Zarr pyramid, verified, described"
    )
    demo.add_argument("dir", nargs="?", default="demo-output")
    demo.add_argument("--size", type=int, default=256, help="side of the cubic phantom")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(run=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    if getattr(args, "workers", None) is not None and args.workers < 1:
        _parser().error("--workers must be at least 1")
    try:
        code: int = args.run(args)
    except CTLabError as error:
        if args.debug:
            raise
        print(f"ctlab: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ctlab: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
