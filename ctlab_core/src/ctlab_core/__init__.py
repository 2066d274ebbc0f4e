"""ctlab-core: data model, MANGO history codec, codec registry and raw codec.

Importing this package is cheap: numpy, dask and every I/O library are
imported on first use, never at import.
"""

from ctlab_core.dataset import Dataset
from ctlab_core.datatype import DataType, StorageDType
from ctlab_core.errors import (
    CodecNotInstalledError,
    CorruptDataError,
    CTLabError,
    DatasetExistsError,
    FormatNotRecognisedError,
    HistoryParseWarning,
    ImmutableDatasetError,
    InvalidDatasetError,
    InvalidOptionError,
    UnitConversionError,
    UnknownDataTypeError,
    UnknownUnitError,
)
from ctlab_core.frozen import FrozenDict
from ctlab_core.history import (
    History,
    HistoryEntry,
    HistoryTextError,
    parse_parameters,
    serialize_parameters,
)
from ctlab_core.registry import Codec, available_codecs, get_codec
from ctlab_core.units import VoxelUnit

__version__ = "0.1.0"

__all__ = [
    "CTLabError",
    "Codec",
    "CodecNotInstalledError",
    "CorruptDataError",
    "DataType",
    "Dataset",
    "DatasetExistsError",
    "FormatNotRecognisedError",
    "FrozenDict",
    "History",
    "HistoryEntry",
    "HistoryParseWarning",
    "HistoryTextError",
    "ImmutableDatasetError",
    "InvalidDatasetError",
    "InvalidOptionError",
    "StorageDType",
    "UnitConversionError",
    "UnknownDataTypeError",
    "UnknownUnitError",
    "VoxelUnit",
    "available_codecs",
    "get_codec",
    "parse_parameters",
    "serialize_parameters",
]
