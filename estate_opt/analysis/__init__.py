"""Analyses that solve many related models: compare, frontier, keep-cost, sensitivity, sweep."""
