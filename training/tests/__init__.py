# Importing relay_train pins OpenBLAS's kernels (relay_train/blas.py), which must happen before torch loads
# OpenBLAS. Test modules import torch first; without this, a test module run on its own
# (`python3 -m unittest tests.test_side_by_side`) gets the kernels OpenBLAS picks, while the processes the
# pipeline spawns get the pinned ones, and a spec comparing the two sees another draw.
import relay_train  # noqa: F401
