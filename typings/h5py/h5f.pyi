from h5py import h5p

class FileID:
    def get_create_plist(self) -> h5p.PropFCID: ...
