"""Data statistics of MANGO single files: ``data_min_max`` and the ``data_histogram``.

MANGO adds to single files a global ``data_min_max``, a 1-D variable
``data_histogram`` (dimension ``data_histogram_dim``) and the attributes that
describe its bins (``data_histogram_binsize``, ``data_histogram_offset``;
see ``tomoLoRes_SS.nc``). They describe the values, so they are true only of
the data they were computed from: they are not dataset metadata (the reader
leaves them out of ``Dataset.attributes``, so no other format can carry a
stale description), and the writer copies them, variable and attributes,
from the source file only when the data written is the array read from that
single file, unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
from ctlab_core.errors import CorruptDataError
from ctlab_core.location import Location

if TYPE_CHECKING:
    import dask.array as da
    import numpy as np

__all__ = ["HISTOGRAM_DIMENSION", "HISTOGRAM_VARIABLE", "Statistics", "is_statistic", "of_source"]

HISTOGRAM_VARIABLE = "data_histogram"
HISTOGRAM_DIMENSION = "data_histogram_dim"


def is_statistic(name: str) -> bool:
    """True for the global attributes that describe the values (min/max, histogram bins)."""
    return name == "data_min_max" or name.startswith(HISTOGRAM_VARIABLE)


@attrs.frozen(eq=False)
class Statistics:
    """The statistics of one source file, held as plain data (small: a histogram)."""

    attributes: Mapping[str, Any]  # normalised global attributes, in the source's order
    histogram: np.ndarray[Any, Any] | None = None


def of_source(data: da.Array) -> Statistics | None:
    """The statistics to copy when ``data`` is exactly the array read from one NetCDF file."""
    from ctlab_core.regions import reader_of

    from ctlab_netcdf._regions import NetCDFRegions

    reader = reader_of(data)
    if not isinstance(reader, NetCDFRegions) or len(reader.headers) != 1:
        return None
    header = reader.headers[0]
    kept = {name: value for name, value in header.attributes.items() if is_statistic(name)}
    histogram = _read_histogram(header.location, header.format)
    if not kept and histogram is None:
        return None
    return Statistics(kept, histogram)


def _read_histogram(location: Location, kind: str) -> np.ndarray[Any, Any] | None:
    """The ``data_histogram`` values of the file at ``path``, or None when it has none."""
    import numpy as np

    from ctlab_netcdf._files import hdf5_file, netcdf3_file

    try:
        if kind == "hdf5":
            import h5py

            with hdf5_file(location) as handle:
                found = handle.get(HISTOGRAM_VARIABLE)
                if not isinstance(found, h5py.Dataset) or found.ndim != 1:
                    return None
                return np.asarray(found[()])
        with netcdf3_file(location) as handle:
            variable = handle.variables.get(HISTOGRAM_VARIABLE)
            if variable is None or len(variable.dimensions) != 1:
                return None
            variable.set_auto_maskandscale(False)
            return np.asarray(variable[:])
    except (OSError, RuntimeError, ValueError, KeyError, TypeError) as error:
        raise CorruptDataError(f"{location}: cannot read {HISTOGRAM_VARIABLE}: {error}") from error
