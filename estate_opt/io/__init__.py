"""Readers for input files and published benchmark formats."""
