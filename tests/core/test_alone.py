"""Whatever subset of the format packages is installed, the command line offers exactly
their options, shows only examples that work with them, runs a demo of them and names
the package to install for the others.

scripts/test-alone.sh runs this file in environments holding ctlab-core alone and
ctlab-core with only ctlab-netcdf or only ctlab-zarr; the full test environment holds
both. Every test session adds the test codec ctlab-npy (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from ctlab_core.cli import _installed_codecs, _parser
from ctlab_core.cli._commands import demo_chain

from ctlab_core import Dataset

from ..conftest import ctlab

FORMATS = {
    # codec: (package, one of its write flags, a path of that format)
    "netcdf": ("ctlab-netcdf", "--slices-per-file", "tomoLoRes_SS.nc"),
    "zarr": ("ctlab-zarr", "--levels", "tomoLoRes_SS_AM.zarr"),
}
COMMANDS = ("info", "convert", "verify", "history", "preview", "demo")


def _group_codecs(page: str) -> set[str]:
    """The codec names in the titles of a help page's flag groups."""
    titles = re.findall(r"^(?:reading|writing)[^\n]*:$", page, re.MULTILINE)
    inside = [names for title in titles for names in re.findall(r"\(([^)]*) codecs?\)", title)]
    return {name for names in inside for name in names.split(", ")}


@pytest.mark.parametrize("codec", sorted(FORMATS))
def test_cli_offers_installed_formats_and_names_missing_ones(codec: str, fixtures: Path) -> None:
    package, flag, name = FORMATS[codec]
    installed = importlib.util.find_spec(f"ctlab_{codec}") is not None
    page = ctlab("convert", "--help", check=False).stdout
    info = ctlab("info", str(fixtures / name), check=False)
    if installed:
        assert re.search(rf"^\s+{flag}\b", page, re.MULTILINE)
        assert f"writing ({codec} codec)" in page
        assert codec in _group_codecs(page)
        assert info.returncode == 0, info.stderr
        assert f"format        {codec}" in info.stdout
    else:
        assert flag not in page  # neither as a flag nor in an example
        assert codec not in _group_codecs(page)
        assert info.returncode == 1
        assert f"pip install {package}" in info.stderr
        assert info.stderr.count("\n") == 1


def _examples(page: str) -> list[list[str]]:
    """The example command lines at the end of a help page, as argument lists."""
    _, _, tail = page.partition("\nexamples:\n")
    return [shlex.split(line)[1:] for line in tail.splitlines() if line.strip()]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_example_works_with_the_installed_codecs(command: str) -> None:
    codecs = _installed_codecs()
    suffixes = tuple(s for codec in codecs.values() for s in codec.suffixes)
    parser, _ = _parser(codecs)
    page = ctlab(command, "--help", check=False).stdout
    body, _, _ = page.partition("\nexamples:\n")
    shown = set(re.findall(r"(--[a-z][a-z0-9-]*)", body))
    examples = _examples(page)
    assert examples, page
    for example in examples:
        assert example[0] == command
        flags = [word for word in example if word.startswith("--")]
        assert set(flags) <= shown, (example, sorted(shown))
        with contextlib.redirect_stderr(io.StringIO()) as errors:
            try:
                args = parser.parse_args(example)
            except SystemExit:
                pytest.fail(f"ctlab {shlex.join(example)}: {errors.getvalue()}")
        paths = [getattr(args, key) for key in ("path", "src", "dst") if hasattr(args, key)]
        for path in paths:
            assert path.lower().endswith(suffixes), (example, suffixes)


def test_demo_runs_with_the_installed_codecs(tmp_path: Path) -> None:
    codecs = _installed_codecs()
    chain = demo_chain(codecs)
    assert chain, "raw, in ctlab-core, always declares a demo step"
    steps = [c.presentation.demo for c in codecs.values()]
    if any(step is not None and not step.fallback for step in steps):
        assert len(chain) >= 2, "with a format package that declares a step, the demo converts"
    done = ctlab("demo", str(tmp_path / "demo"), "--size", "16", "--quiet", check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n    OK ") == len(chain)
    outputs = [tmp_path / "demo" / step.name for _, step in chain]
    first = Dataset.from_path(outputs[0]).to_numpy()
    for output in outputs[1:]:
        np.testing.assert_array_equal(Dataset.from_path(output).to_numpy(), first)


def test_a_mango_name_without_suffix_needs_the_codec_that_writes_it(tmp_path: Path) -> None:
    source = tmp_path / "volume.raw"
    Dataset(np.zeros((2, 3, 4), np.uint16), voxel_size=(1, 1, 1)).to_path(source)
    done = ctlab("convert", str(source), str(tmp_path / "tomo_out"), "--quiet", check=False)
    if importlib.util.find_spec("ctlab_netcdf") is not None:
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "tomo_out.nc").is_file()
    else:
        assert done.returncode == 1
        assert "a MANGO-style name without a suffix is written as NetCDF" in done.stderr
        assert "pip install ctlab-netcdf" in done.stderr
        assert "format 'netcdf'" not in done.stderr
