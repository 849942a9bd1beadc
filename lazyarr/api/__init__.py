"""What users touch: LazyArray, NumPy's protocols, operand handling, indexing, reshaping, reductions,
NumPy stages, creation functions, scipy.special and scipy.stats' distributions."""
