"""Running a plan: the one launcher, the small-call recipes, explain()."""
