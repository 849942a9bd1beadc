"""From a graph to compiled kernels: the schedule (fused kernels and NumPy stages), the kernel source,
the call layout, the memory and disk caches and Numba's start-up."""
