"""Creating the like files of a split dataset by copying one.

The uncompressed files of a split dataset that have the same depth differ
only in the values of a few global attributes (MANGO's ``zdim_range``), each of
the same type and shape. HDF5 then lays every one of them out byte for byte
alike, so one template is created through h5netcdf, the bytes outside its
voxels are kept (:class:`FileImage`, a few KiB), and each file is made by
writing those bytes and rewriting the differing attributes in place through
h5py: about a millisecond instead of the ~15 ms h5netcdf spends per file, which
counts when thousands of blocks are written or when hashing keeps every core
busy.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ctlab_netcdf._attributes import h5_attribute
from ctlab_netcdf._byte_io import pwrite_all
from ctlab_netcdf._file_spec import Placement

if TYPE_CHECKING:
    from ctlab_netcdf._write_tasks import FileTarget

__all__ = ["MIN_GROUP", "FileImage", "create_from_image", "read_image", "with_images"]

MIN_GROUP = 3
"""Files alike before they are made from an image (a template costs one creation)."""

TEMPLATE_NAME = ".ctlab-template-{index}.nc"
"""The template's name in the staging directory; it is removed once read."""


@attrs.frozen
class FileImage:
    """A created file's bytes outside its voxels, and what they hold."""

    pieces: tuple[tuple[int, bytes], ...]  # (file offset, bytes), voxels left out
    size: int
    placement: Placement
    attributes: Mapping[str, Any]  # the template's global attributes, as HDF5 got them


def read_image(path: str, placement: Placement, attributes: Mapping[str, Any]) -> FileImage:
    """The image of the file ``path``, whose voxels sit as ``placement`` says."""
    voxels = placement.chunk_depth * placement.plane_bytes
    pieces: list[tuple[int, bytes]] = []
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        position = 0
        for start in [*sorted(placement.chunk_offsets), size]:
            handle.seek(position)
            pieces.append((position, handle.read(start - position)))
            position = start + voxels
    return FileImage(tuple(p for p in pieces if p[1]), size, placement, dict(attributes))


def create_from_image(path: str, image: FileImage, attributes: Mapping[str, Any]) -> Placement:
    """Create ``path`` as a copy of ``image`` whose global attributes are ``attributes``
    (each of the same type and shape as the image's)."""
    import h5py

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)  # a retried task redoes it
    try:
        for offset, data in image.pieces:
            pwrite_all(fd, memoryview(data), offset)
        os.ftruncate(fd, image.size)
    finally:
        os.close(fd)
    changed = {
        name: value
        for name, value in _stored(attributes).items()
        if not _same_value(value, image.attributes[name])
    }
    if changed:
        with h5py.File(path, "r+") as handle:
            for name, value in changed.items():
                handle.attrs.modify(name, value)
    return image.placement


def with_images(targets: Sequence[FileTarget], directory: Path) -> list[FileTarget]:
    """``targets``, each group of :data:`MIN_GROUP` or more like uncompressed files
    given the image of a template created in ``directory`` (compressed files, files
    with statistics and smaller groups come back as they were)."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for index, target in enumerate(targets):
        key = _likeness(target)
        if key is not None:
            groups.setdefault(key, []).append(index)
    result = list(targets)
    for number, members in enumerate(groups.values()):
        if len(members) < MIN_GROUP:
            continue
        image = _template_image(targets[members[0]], directory / TEMPLATE_NAME.format(index=number))
        if image is None:
            continue
        for index in members:
            result[index] = attrs.evolve(targets[index], image=image)
    return result


def _template_image(target: FileTarget, path: Path) -> FileImage | None:
    """Create a file as ``target`` describes at ``path``, read its image, remove it."""
    spec = target.spec
    try:
        placement = spec.create(str(path), target.depth, target.chunk_z)
        if placement is None:
            return None
        return read_image(str(path), placement, _stored(spec.attributes))
    finally:
        path.unlink(missing_ok=True)


def _likeness(target: FileTarget) -> tuple[Any, ...] | None:
    """What files made from one image share, or None for a file made on its own."""
    spec = target.spec
    if spec.compression_level != 0 or spec.statistics is not None:
        return None
    shapes = tuple((name, _kind(value)) for name, value in _stored(spec.attributes).items())
    return (
        spec.variable,
        spec.stored_dtype,
        spec.plane,
        spec.float16,
        spec.checksum,
        target.depth,
        target.chunk_z,
        shapes,
    )


def _stored(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The global attributes as HDF5 stores them (text as fixed-length bytes)."""
    return {name: h5_attribute(value) for name, value in attributes.items()}


def _kind(value: Any) -> tuple[str, tuple[int, ...] | None]:
    """The HDF5 type and shape a stored attribute value takes."""
    import h5py
    import numpy as np

    if isinstance(value, h5py.Empty):
        return ("empty " + np.dtype(value.dtype).str, None)
    array = np.asarray(value)
    return (array.dtype.str, array.shape)


def _same_value(one: Any, other: Any) -> bool:
    import h5py
    import numpy as np

    if isinstance(one, h5py.Empty) or isinstance(other, h5py.Empty):
        return isinstance(one, h5py.Empty) and isinstance(other, h5py.Empty)
    return bool(np.array_equal(np.asarray(one), np.asarray(other)))
