"""Results: the plan read back from a solve, its independent verification, and the run folder."""
