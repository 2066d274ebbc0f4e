"""The help pages of the ``ctlab`` subcommands: summary, description, examples.

Text only, kept apart from the parser so the documentation is easy to read
and to check.
"""

from __future__ import annotations

__all__ = ["PAGES"]

PAGES: dict[str, tuple[str, str, str]] = {
    "info": (
        "describe a dataset",
        "Format, shape, dtype, MANGO datatype, voxel size in both orders, chunking,\n"
        "size on disk and in memory, dataset_id and history entries.",
        "  ctlab info tomoLoRes_SS.nc\n"
        "  ctlab info tomoHiRes_SS_nc --json\n"
        "  ctlab info volume.raw --shape 100,200,300 --dtype uint16",
    ),
    "convert": (
        "convert a dataset to another format",
        "Reads SRC lazily and writes DST in the format its name (or --to) selects,\n"
        "under a hidden temporary name renamed into place when complete. The run is\n"
        "recorded as a history entry <YYYYMMDD_HHMMSS>_<DST name>, which becomes the\n"
        "new dataset_id. An existing DST is replaced only with --overwrite, and only\n"
        "when it is a dataset of the same format. Peak memory is a few task blocks\n"
        "per worker (--task-size, --workers).",
        "  ctlab convert tomoHiRes_SS_nc tomoHiRes.ome.zarr\n"
        "  ctlab convert tomo.ome.zarr tomo_out_nc --slices-per-file 64\n"
        "  ctlab convert big_nc big.ome.zarr --scheduler distributed --workers 4\n"
        "  ctlab convert big_nc big.ome.zarr --address tcp://10.0.0.5:8786",
    ),
    "verify": (
        "check a dataset's checksums, structure and data",
        "Checks what the format records about itself (checksums of blocks or shards,\n"
        "structure, pyramid levels) and decodes every value. Prints OK and notes, or\n"
        "one line naming what is wrong (exit 1).",
        "  ctlab verify tomoHiRes_SS_nc\n  ctlab verify tomo.ome.zarr",
    ),
    "history": (
        "show a dataset's processing history",
        "Entries in order, their parameters as an indented tree and their output logs.",
        "  ctlab history tomoLoRes_SS.nc\n  ctlab history tomo.ome.zarr --json",
    ),
    "demo": (
        "run the main job on a built-in phantom",
        "Writes a synthetic CT phantom as MANGO split NetCDF, converts it to an\n"
        "OME-Zarr pyramid, verifies both and describes them.",
        "  ctlab demo\n  ctlab demo /tmp/ctlab-demo --size 128",
    ),
}
