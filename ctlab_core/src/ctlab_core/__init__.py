"""ctlab-core: data model, MANGO history codec, codec contract and registry, raw codec.

Importing this package is cheap: numpy, dask and every I/O library are
imported on first use, never at import.
"""

from ctlab_core._reading import levels, load, verify
from ctlab_core.codec import Codec, LevelInfo, WriteTarget
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
    ReadError,
    StorageError,
    StorageNotFoundError,
    UnitConversionError,
    UnknownDataTypeError,
    UnknownUnitError,
    WriteError,
)
from ctlab_core.frozen import FrozenDict
from ctlab_core.history import (
    History,
    HistoryEntry,
    HistoryTextError,
    parse_parameters,
    serialize_parameters,
)
from ctlab_core.location import Location
from ctlab_core.mango import MangoMetadata
from ctlab_core.options import ReadOptions, WriteOptions, option
from ctlab_core.presentation import CliExample, DemoStep, Presentation
from ctlab_core.registry import available_codecs, get_codec
from ctlab_core.units import VoxelUnit

__version__ = "0.2.0"

__all__ = [
    "CTLabError",
    "CliExample",
    "Codec",
    "CodecNotInstalledError",
    "CorruptDataError",
    "DataType",
    "Dataset",
    "DatasetExistsError",
    "DemoStep",
    "FormatNotRecognisedError",
    "FrozenDict",
    "History",
    "HistoryEntry",
    "HistoryParseWarning",
    "HistoryTextError",
    "ImmutableDatasetError",
    "InvalidDatasetError",
    "InvalidOptionError",
    "LevelInfo",
    "Location",
    "MangoMetadata",
    "Presentation",
    "ReadError",
    "ReadOptions",
    "StorageDType",
    "StorageError",
    "StorageNotFoundError",
    "UnitConversionError",
    "UnknownDataTypeError",
    "UnknownUnitError",
    "VoxelUnit",
    "WriteError",
    "WriteOptions",
    "WriteTarget",
    "available_codecs",
    "get_codec",
    "levels",
    "load",
    "option",
    "parse_parameters",
    "serialize_parameters",
    "verify",
]
