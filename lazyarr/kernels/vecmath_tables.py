"""Constant tables for the table-driven vector functions (``vecmath32.power``, ``vecmath.power``'s log; #14 tables,
docs/vecmath.md).

The standard table-driven methods (ARM optimized-routines' log, exp and pow, as in glibc 2.28+) replace a
division and a long series by a short polynomial around a tabulated point. A load from a table at a per-lane index
vectorises as a gather (``vgatherqpd``), but a gather costs ~0.3 ns per element on this machine's Zen 5, more than
the work it saves; a table of 16 float64 fits in two zmm registers and AVX-512's ``vpermi2pd`` looks 8 lanes up in
one instruction. The vector functions index the tables' tuples through ``vecmath.lookup16``: Numba computes it as a
tree of selects among 16 constants (no memory access, vectorised as blends), the quick tier's translator
(``compiler/llvm_math.py``, ``table_load``) as a load from a constant global, which on AVX-512 is a permute. Both
pick the same entry, so both tiers keep the same bits.

Only data here (NumPy arrays, tuples and floats, computed at import with ``decimal``, ~5 ms); the functions that
index them are in ``vecmath.py`` and ``vecmath32.py``. Numba's disk cache of those functions keys on their own file,
not on the values of the globals they freeze: whoever changes a table here must change (or touch) those two too, or
clear their ``__pycache__`` (lazyarr's kernels themselves follow: their fingerprint hashes every file of this package).
The construction:

- **log**, ``LOG_N`` = 16 subintervals of z in [OFF, 2*OFF) with OFF = 0x1.66p-1 (z = x / 2**k from the bits, so
  log x = k ln 2 + log z; 1.0 lies inside the 10th): for the i-th (the 4 bits of ``bits(x) - bits(OFF)`` below the
  exponent field) 1/c is the inverse of the subinterval's centre rounded to a multiple of 1/16 (1/c >= 1) or 1/32,
  so r = z/c - 1 = fma(z, 1/c, -1) is exact (|r| < 0.044 and a multiple of 2**-57 or 2**-58: at most 53 bits);
  log c = -log(1/c) is LOG_C rounded to nearest (float32 power's) and LOG_C_HI + LOG_C_LO with LOG_C_HI a multiple
  of 2**-43 (float64 power's: k * LOG_LN2_HI + LOG_C_HI is exact). Near 1, 1/c = 1 and log c = 0: log x =
  log1p(r) with r exact, no cancellation.
- **exp**, ``EXP_N`` = 16: EXP_BITS[j] = bits(2**(j/16) rounded) - (j << 48), so adding n << 48 (n = 16 k + j)
  gives the bits of 2**k * 2**(j/16); EXP_TAIL[j] its rounding error relative to it (float64 power's exp, session 14).
"""
from decimal import Context, Decimal, localcontext

import numpy as np

LOG_N = 16
LOG_OFF_BITS = 0x3FE6600000000000          # the bits of 0x1.66p-1: z in [it, 2*it), 1.0 inside the 10th subinterval
LOG_SHIFT = 48                             # 52 - 4: the index is the 4 bits below the exponent field
EXP_N = 16
EXP_SHIFT = 48                             # EXP_BITS[j] + (n << 48) = bits(2**k 2**(j/16)) for n = 16 k + j


def _bits(value: float) -> int:
    return int(np.float64(value).view(np.int64))


def _float(bits: int) -> float:
    return float(np.int64(bits).view(np.float64))


def _log_table() -> tuple[np.ndarray, ...]:
    inverse, near, head, tail = [], [], [], []
    for i in range(LOG_N):
        low = _float(LOG_OFF_BITS + (i << LOG_SHIFT))
        high = _float(LOG_OFF_BITS + ((i + 1) << LOG_SHIFT))
        centre = (Decimal(low) + Decimal(high)) / 2
        scale = LOG_N if centre < 1 else 2 * LOG_N     # 1/c >= 1 a multiple of 1/16, below 1 of 1/32: r exact
        invc = Decimal(round(scale / centre)) / scale
        log_c = -invc.ln()
        hi = round(log_c * 2 ** 43) / Decimal(2 ** 43)  # a multiple of 2**-43: k * LOG_LN2_HI + it is exact
        inverse.append(float(invc))
        near.append(float(log_c))
        head.append(float(hi))
        tail.append(float(log_c - hi))
    return tuple(np.array(v, dtype=np.float64) for v in (inverse, near, head, tail))


with localcontext(Context(prec=40)):  # ~2**-130: the tables' values are correctly rounded (the caller's context
    # is left as it was)
    _LN2 = Decimal(2).ln()
    # ln 2 to a multiple of 2**-42 (42 significant bits): k * it is exact for |k| < 2**11, and so is k * it + LOG_C_HI
    LOG_LN2_HI = float(round(_LN2 * 2 ** 42) / Decimal(2 ** 42))
    LOG_LN2_LO = float(_LN2 - Decimal(LOG_LN2_HI))
    EXP_N_OVER_LN2 = float(EXP_N / _LN2)
    # ln 2 / 16 to a multiple of 2**-43 (39 significant bits): n * it is exact for |n| < 2**14, and n =
    # rint(t * 16/ln 2) for |t| <= 709 is at most 16,366
    EXP_LN2_HI_N = float(round(_LN2 / EXP_N * 2 ** 43) / Decimal(2 ** 43))
    EXP_LN2_LO_N = float(_LN2 / EXP_N - Decimal(EXP_LN2_HI_N))
    LOG_INVC, LOG_C, LOG_C_HI, LOG_C_LO = _log_table()
    EXP_BITS = np.array([_bits(float((Decimal(j) / EXP_N * _LN2).exp())) - (j << EXP_SHIFT) for j in range(EXP_N)],
                        dtype=np.int64)
    # (session 14, float64 power's exp) the rounding error of each 2**(j/16) relative to its rounded value:
    # 2**(j/16) = T_j (1 + EXP_TAIL[j]) with T_j the value EXP_BITS encodes, |EXP_TAIL| < 2**-53
    EXP_TAIL = np.array([float((Decimal(j) / EXP_N * _LN2).exp() / Decimal(_float(int(EXP_BITS[j]) + (j << EXP_SHIFT)))
                               - 1) for j in range(EXP_N)], dtype=np.float64)

# the same as tuples of Python numbers, as the vector functions index them (``vecmath.lookup16``: Numba types a
# tuple of floats or ints as float64 or int64 constants and selects among them instead of gathering)
LOG_INVC_T = tuple(float(v) for v in LOG_INVC)
LOG_C_T = tuple(float(v) for v in LOG_C)
LOG_C_HI_T = tuple(float(v) for v in LOG_C_HI)
LOG_C_LO_T = tuple(float(v) for v in LOG_C_LO)
EXP_BITS_T = tuple(int(v) for v in EXP_BITS)
EXP_TAIL_T = tuple(float(v) for v in EXP_TAIL)

for _table in (LOG_INVC, LOG_C, LOG_C_HI, LOG_C_LO, EXP_BITS, EXP_TAIL):
    _table.setflags(write=False)  # the arrays (the tests' view of the tables) stay as built
