"""Outputs: the board pack (report, maps, charts, workbook) made from a plan."""
