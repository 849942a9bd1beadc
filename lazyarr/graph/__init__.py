"""The graph: the op table, NumPy 2 dtype rules, immutable hash-consed nodes and the NumPy reference
evaluator. Imports NumPy only (and, for the op table's loop check, Numba's ufunc database)."""
