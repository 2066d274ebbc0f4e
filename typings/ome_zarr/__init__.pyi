# What the tests use of ome-zarr-py (ome_zarr), which ships without type information.
