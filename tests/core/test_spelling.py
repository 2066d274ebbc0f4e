"""Messages name Python keywords for Python callers and the command's flags inside the CLI."""

from __future__ import annotations

from ctlab_core import _spelling as spelling

TEXT = "x: levels=0 or (ome_zarr=False), slices_per_file= (it); not ds.evolve(levels=2)"


def test_python_callers_read_keywords() -> None:
    assert spelling.flags_for_keywords(TEXT, ["levels", "ome_zarr", "slices_per_file"]) == TEXT
    assert (spelling.overwrite(), spelling.reading_format()) == ("overwrite=True", "filetype=...")


def test_the_command_line_reads_flags() -> None:
    with spelling.command_line():
        spelled = spelling.flags_for_keywords(TEXT, ["levels", "ome_zarr", "slices_per_file"])
        advice = (spelling.overwrite(), spelling.reading_format(), spelling.writing_format())
    assert spelled == (
        "x: --levels 0 or (--no-ome-zarr), --slices-per-file (it); not ds.evolve(levels=2)"
    )
    assert advice == ("--overwrite", "--from FORMAT", "--to FORMAT")
    assert not spelling.in_command_line()  # only inside the block
