"""Bridges from ctlab datasets to the tools scientists work in: xarray and napari.

Nothing here is imported by ``import ctlab_core``. The modules are loaded on
first use: by xarray through the ``xarray.backends`` entry point (engine
``"ctlab"``), by napari through the ``napari.manifest`` entry point of the
``ctlab`` distribution (its ``napari.yaml``: napari names a plugin after its
distribution), and by ``Dataset.to_xarray`` /
``Dataset.from_xarray``. Install their dependencies with the extras
``ctlab-core[xarray]`` and ``ctlab-core[napari]``.

- :mod:`.geometry`: where voxel centres sit in physical space (pure);
- :mod:`.attributes`: a dataset's MANGO metadata as JSON-safe attributes, and back;
- :mod:`.xarray_convert`: ``Dataset`` <-> ``xarray.DataArray``;
- :mod:`.xarray_backend`: the xarray engine;
- :mod:`.napari_reader`, :mod:`.napari_writer`: the napari plugin's contributions.
"""
