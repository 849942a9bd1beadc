"""Every scipy.stats distribution lazyarr computes itself, by name: the first records (api/distributions.py) and
session 16's (api/more_distributions.py, whose records use the first module's helpers, so neither imports the
other's table). api/continuous.py, api/discrete.py and the tracer read these."""
from __future__ import annotations

from lazyarr.api import distributions, more_distributions

TABLE = {**distributions.TABLE, **{d.name: d for d in more_distributions.MORE}}  # continuous: name -> record
DISCRETE = {**distributions.DISCRETE, **{d.name: d for d in more_distributions.MORE_DISCRETE}}
