# Minimal stubs for the parts of napari that ctlab's tests use (napari ships no types).
__version__: str
