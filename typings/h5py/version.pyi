hdf5_version_tuple: tuple[int, int, int]
version_tuple: tuple[int, ...]
