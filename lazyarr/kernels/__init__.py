"""What generated kernels import and run on: NumPy-exact scalar helpers, vector math, the scipy.special
bridge, and Numba's threads. Imports numba, llvmlite, scipy; nothing else of lazyarr but config."""
