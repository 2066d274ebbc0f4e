"""ctlab-netcdf: MANGO NetCDF codec for ctlab (in development: no codec yet)."""

__version__ = "0.1.0"

__all__: list[str] = []
