"""``@lazyarr.fuse``: trace a NumPy function once per signature into a program of fused kernels."""
