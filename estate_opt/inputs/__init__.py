"""Inputs: the scenario, the tables it names (schema, readers, validation), travel and the estate."""
