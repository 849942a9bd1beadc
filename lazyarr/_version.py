"""The package version: a leaf module, so that the kernel fingerprint can read it without importing the package."""
__version__ = "0.1.0"
