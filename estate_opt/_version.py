"""The package version, apart from the package root so every layer can read it."""

__version__ = "0.1.0"
