"""Lazy expressions over dask arrays: one fused lazyarr kernel per block."""
