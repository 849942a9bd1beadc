"""lazyarr benchmark suites; see bench/README.md."""
