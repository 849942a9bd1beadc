"""The standard's names (revision 2024.12) that NumPy 2 implements under the same name and signature.

Each becomes ``adapt.from_numpy(numpy.<name>)``: called on LazyArrays, LazyArray's ``__array_ufunc__`` /
``__array_function__`` choose lazyarr's rule (fused where it can be, a NumPy stage where it cannot). Names whose
standard signature differs from NumPy's, or that NumPy gives as something other than a lazy call, are small
functions in ``functions.py`` / ``creation.py`` instead.
"""
from __future__ import annotations

ELEMENTWISE = (
    "abs acos acosh add asin asinh atan atan2 atanh bitwise_and bitwise_left_shift bitwise_invert bitwise_or "
    "bitwise_right_shift bitwise_xor ceil conj copysign cos cosh divide equal exp expm1 floor floor_divide "
    "greater greater_equal hypot imag isfinite isinf isnan less less_equal log log1p log2 log10 logaddexp "
    "logical_and logical_not logical_or logical_xor maximum minimum multiply negative nextafter not_equal "
    "positive pow real reciprocal remainder round sign signbit sin sinh square sqrt subtract tan tanh trunc"
).split()

STATISTICAL = "max mean min prod sum".split()
SEARCHING = "argmax argmin count_nonzero nonzero searchsorted where".split()
SET = "unique_all unique_counts unique_inverse unique_values".split()
MANIPULATION = "broadcast_to concat flip moveaxis roll stack tile".split()
INDEXING = "take take_along_axis".split()
LINEAR_ALGEBRA = "matmul matrix_transpose tensordot vecdot".split()
UTILITY = "all any".split()
NEXT_REVISION = "broadcast_shapes".split()  # 2025.12 names array-api-strict already has (isin: functions.py)
CREATION = "tril triu".split()

SAME_AS_NUMPY = (ELEMENTWISE + STATISTICAL + SEARCHING + SET + MANIPULATION + INDEXING + LINEAR_ALGEBRA
                 + UTILITY + CREATION + NEXT_REVISION)

# The linalg extension: the numpy.linalg functions with the standard's signature; the others (pinv, norms, diagonal, trace, ...) are small functions in linalg.py.
LINALG = "cholesky det eigh eigvalsh inv matrix_power qr slogdet solve svd svdvals".split()

# The fft extension: numpy.fft's transforms and shifts (fftfreq/rfftfreq take dtype=/device= in fft.py).
FFT = "fft ifft fftn ifftn rfft irfft rfftn irfftn hfft ihfft fftshift ifftshift".split()

DTYPE_NAMES = ("bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float32 float64 complex64 "
               "complex128").split()
