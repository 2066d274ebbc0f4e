"""ctlab in one install: the core API (re-exported from ``ctlab_core``), the NetCDF and
Zarr codecs as dependencies, and the napari plugin ``ctlab`` (``napari.yaml``).

``import ctlab`` is ``import ctlab_core`` under a shorter name; the distribution
exists so that ``pip install ctlab`` brings every format, and so that napari,
which names a plugin after its distribution, finds the plugin ``ctlab``.
"""

from ctlab_core import *  # noqa: F403  # the bundle re-exports the core API as is
from ctlab_core import __all__ as __all__

__version__ = "0.2.0"
