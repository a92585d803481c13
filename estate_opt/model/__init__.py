"""The model: the MIP formulation (single period and phasing), its solve and the elastic diagnosis."""
