"""``ctlab preview``: a PNG of three mid-planes at true aspect, a window, a histogram and a
caption, reading only what it shows."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ctlab_core._planes import choose_level, mid_planes
from ctlab_core._preview import GAP, MARGIN, PALETTE, SIDE
from ctlab_core.codec import LevelInfo
from ctlab_core.phantom import PhantomRegions, phantom
from ctlab_core.regions import Region, region_array

from ctlab_core import Dataset

from ..conftest import ctlab

Image = pytest.importorskip("PIL.Image")


def _open(path: Path) -> tuple[np.ndarray[Any, Any], dict[str, tuple[int, int, int, int]], str]:
    """The pixels of a preview PNG, its panels (left, top, width, height) and its caption."""
    with Image.open(path) as image:
        assert image.format == "PNG" and image.mode == "RGB"
        pixels = np.asarray(image)
        panels = {k: tuple(v) for k, v in json.loads(image.text["ctlab:panels"]).items()}
        return pixels, panels, image.text["Description"]


def _panel(pixels: np.ndarray[Any, Any], box: tuple[int, int, int, int]) -> np.ndarray[Any, Any]:
    """A panel's pixels, below the title drawn in its corner."""
    left, top, width, height = box
    return pixels[top + 24 : top + height, left : left + width]


def _check_layout(
    pixels: np.ndarray[Any, Any], panels: dict[str, tuple[int, int, int, int]]
) -> None:
    xy, yz, xz, hist = (panels[name] for name in ("XY", "YZ", "XZ", "histogram"))
    assert yz[1] == xy[1] and yz[3] == xy[3]  # YZ beside XY, sharing y
    assert xz[0] == xy[0] and xz[2] == xy[2]  # XZ below XY, sharing x
    assert xz[1] == xy[1] + xy[3] + GAP and yz[0] == xy[0] + xy[2] + GAP
    assert max(xy[2], xy[3], yz[2], xz[3]) == SIDE  # the longest extent is SIDE pixels
    height, width = pixels.shape[:2]
    assert width == hist[0] + hist[2] + MARGIN and height == hist[1] + hist[3] + MARGIN


def test_a_split_netcdf_previews_its_bands(fixtures: Path, tmp_path: Path) -> None:
    target = tmp_path / "p.png"
    done = ctlab("preview", fixtures / "tomoHiRes_SS_nc", "-o", target)
    assert done.stdout.startswith(f"wrote {target} (")
    pixels, panels, caption = _open(target)
    _check_layout(pixels, panels)
    assert panels["XY"][2:] == (512, 341) and panels["XZ"][3] == 171  # 300 x 200 x 100
    assert caption.splitlines()[:3] == [
        "tomoHiRes_SS_nc (netcdf)",
        "shape 100 x 200 x 300 (z, y, x), uint16, datatype tomo",
        "voxel size (0.033743, 0.033743, 0.033743) mm as z, y, x",
    ]
    # the volume holds 0-3 in bands along z: XY at z=50 is one grey, XZ and YZ show 4 bands
    xy = _panel(pixels, panels["XY"])
    assert len(np.unique(xy.reshape(-1, 3), axis=0)) == 1 and 0 < xy.mean() < 255
    for name in ("XZ", "YZ"):
        greys = np.unique(_panel(pixels, panels[name]).reshape(-1, 3), axis=0)
        assert len(greys) == 4 and greys.min() == 0 and greys.max() == 255  # window 0 to 3
    histogram = _panel(pixels, panels["histogram"])
    assert (histogram > 100).any()


def test_a_netcdf_file_previews_with_its_default_name(fixtures: Path, tmp_path: Path) -> None:
    ctlab("preview", fixtures / "tomoLoRes_SS.nc", cwd=tmp_path)
    pixels, panels, _ = _open(tmp_path / "tomoLoRes_SS_preview.png")
    _check_layout(pixels, panels)
    assert panels["XY"][2:] == (512, 341)


@pytest.fixture(scope="module")
def pyramid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An OME-Zarr pyramid written by ctlab, its voxel 8 times deeper than wide."""
    path = tmp_path_factory.mktemp("preview") / "phantom.ome.zarr"
    phantom((16, 768, 768)).with_voxel_size((40.0, 5.0, 5.0)).to_path(path, levels=2)
    return path


def test_a_pyramid_previews_its_coarsest_level_of_about_512_voxels(
    pyramid: Path, tmp_path: Path
) -> None:
    target = tmp_path / "pyramid.png"
    done = ctlab("preview", pyramid, "-o", target)
    assert "level 1)" in done.stdout
    pixels, panels, caption = _open(target)
    _check_layout(pixels, panels)
    assert "level 1 of 2: 8 x 384 x 384" in caption
    assert "voxel size (40, 5, 5) um" in caption  # of the dataset, not of the level
    # true aspect from the voxel size: 16 x 40 um deep, 768 x 5 um wide
    assert panels["XY"][2:] == (512, 512)
    assert panels["XZ"][3] == round(16 * 40 / (768 * 5) * 512) == panels["YZ"][2]
    xy = _panel(pixels, panels["XY"])[..., 0].astype(float)
    bright = (xy > 128).mean()
    assert 0.5 < bright < 0.75  # the phantom's cylinder: pi * 0.45^2 of the square
    assert xy.std() > 50
    window = json.loads(Image.open(target).text["ctlab:window"])
    assert 900 < window[0] < window[1] < 30000  # percentiles: not the dtype's range


def test_a_label_volume_uses_its_palette(tmp_path: Path) -> None:
    z, y, x = np.ogrid[:40, :60, :80]
    labels = ((z // 10) * 8 + (y // 15) * 2 + (x // 40)).astype(np.uint8)
    labels[:, :5, :] = 255  # segmented's mask value
    labels[:, 25:35, :10] = 0  # crossed by the XY and XZ mid-planes
    source = tmp_path / "seg.raw"
    Dataset(labels, voxel_size=(1, 1, 1), datatype="segmented").to_path(source)
    target = tmp_path / "seg.png"
    ctlab("preview", source, "-o", target)
    pixels, panels, caption = _open(target)
    assert "labels in a categorical palette (0 black)" in caption
    xy = _panel(pixels, panels["XY"]).reshape(-1, 3)
    colours = {tuple(int(c) for c in rgb) for rgb in np.unique(xy, axis=0)}
    masked = {(48, 48, 48), (96, 96, 96)}  # the checkerboard of the mask value
    assert colours - masked <= set(PALETTE) and len(colours - masked) == 9  # 4 x 2 labels and 0
    assert (0, 0, 0) in colours and masked <= colours
    xz = _panel(pixels, panels["XZ"]).reshape(-1, 3)
    assert (0, 0, 0) in {tuple(int(c) for c in rgb) for rgb in np.unique(xz, axis=0)}


class CountingReader:
    """A region reader that records what it is asked for."""

    def __init__(self, shape: tuple[int, int, int]) -> None:
        self.inner = PhantomRegions(shape)
        self.regions: list[Region] = []

    @property
    def shape(self) -> tuple[int, ...]:
        return self.inner.shape

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.inner.dtype

    @property
    def unit(self) -> tuple[int, ...]:
        return self.inner.unit

    def read(self, region: Region) -> np.ndarray[Any, Any]:
        self.regions.append(region)
        return self.inner.read(region)


def test_only_the_three_planes_are_read(tmp_path: Path) -> None:
    reader = CountingReader((64, 96, 128))
    ds = Dataset(
        region_array(reader, ((64,), (96,), (128,)), token="counting"), voxel_size=(1, 1, 1)
    )
    planes = mid_planes(ds)
    assert reader.regions == [
        (slice(32, 33), slice(0, 96), slice(0, 128)),
        (slice(0, 64), slice(48, 49), slice(0, 128)),
        (slice(0, 64), slice(0, 96), slice(64, 65)),
    ]
    assert planes.xz is not None and planes.yz is not None
    assert (planes.xy.shape, planes.xz.shape, planes.yz.shape) == ((96, 128), (64, 128), (64, 96))
    values = reader.inner.read((slice(0, 64), slice(0, 96), slice(0, 128)))
    np.testing.assert_array_equal(planes.yz, values[:, :, 64])


def test_the_level_read_is_the_coarsest_of_about_512_voxels() -> None:
    def levels(*sides: int) -> list[LevelInfo]:
        return [LevelInfo(i, str(i), (64, n, n), (1.0, 1.0, 1.0)) for i, n in enumerate(sides)]

    assert choose_level(levels(4096, 2048, 1024, 512, 256)) == 3
    assert choose_level(levels(4096, 2048, 1024, 400, 200)) == 3  # about 512
    assert choose_level(levels(4096, 2048, 1024, 300)) == 2
    assert choose_level(levels(300, 150)) == 0


def test_without_pillow_the_error_names_the_extra(fixtures: Path, tmp_path: Path) -> None:
    blocker = (
        "import sys\n"
        "class NoPillow:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'PIL' or name.startswith('PIL.'):\n"
        "            raise ImportError(f'No module named {name!r}')\n"
        "sys.meta_path.insert(0, NoPillow())\n"
        "from ctlab_core.cli import main\n"
        f"sys.exit(main(['preview', {str(fixtures / 'tomoLoRes_SS.nc')!r}, '-o', "
        f"{str(tmp_path / 'x.png')!r}]))\n"
    )
    import subprocess

    done = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr == (
        "ctlab: error: ctlab preview needs Pillow, which is not installed: "
        "pip install 'ctlab-core[preview]'\n"
    )
    assert not (tmp_path / "x.png").exists()
