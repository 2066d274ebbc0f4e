"""ctlab-zarr: Zarr v3 / OME-Zarr 0.5 codec for ctlab (in development: no codec yet)."""

__version__ = "0.1.0"

__all__: list[str] = []
