"""Read one input table from CSV, XLSX, GeoPackage or GeoJSON into a raw DataFrame.

Readers only read: every value comes back as found (strings for CSV and spreadsheets, a
geometry column for GIS layers). Typing, defaults and checks are the validator's job, so that
every format meets exactly the same rules.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pandas as pd

from estate_opt.errors import InputError, InputProblem

SPREADSHEETS = {".xlsx", ".xlsm"}
GIS = {".gpkg", ".geojson", ".json", ".shp", ".fgb"}
TEXT = {".csv", ".txt", ".tsv"}


def file_hash(path: Path) -> str:
    """SHA-256 of a file, so a written plan records exactly which inputs it came from."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_raw(path: Path, table: str, sheet: str | None = None, layer: str | None = None) -> pd.DataFrame:
    """Read a file into a DataFrame of raw values; GIS layers keep a ``geometry`` column.

    Parameters
    ----------
    path : file to read
    table : which input table this is (used in messages and as the default sheet/layer name)
    sheet : spreadsheet sheet; defaults to a sheet named like the table, else the only sheet
    layer : GeoPackage layer; defaults to the only layer
    """
    path = Path(path)
    if not path.exists():
        raise InputError(InputProblem(str(path), f"the {table} file does not exist",
                                      "check the path in the scenario file (paths are relative to the scenario)"))
    if path.is_dir():
        raise InputError(InputProblem(str(path), f"the {table} path is a folder, not a file", "name the file itself"))
    if path.stat().st_size == 0:
        raise InputError(InputProblem(str(path), f"the {table} file is empty", f"export the {table} table again"))
    suffix = path.suffix.lower()
    if suffix in TEXT:
        return _read_csv(path, table)
    if suffix in SPREADSHEETS:
        return _read_xlsx(path, table, sheet)
    if suffix in GIS:
        return _read_gis(path, table, layer)
    raise InputError(InputProblem(str(path), f"cannot read '{suffix}' files",
                                  "give CSV, XLSX, GeoPackage (.gpkg) or GeoJSON"))


def _read_csv(path: Path, table: str) -> pd.DataFrame:
    raw = path.read_bytes()
    if raw[:4] == b"PK\x03\x04":  # a ZIP container: an Excel workbook saved under a .csv name
        raise InputError(InputProblem(str(path), f"the {table} file is a spreadsheet (XLSX/ZIP), not CSV text",
                                      "rename it to .xlsx, or save it from Excel as 'CSV UTF-8'"))
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text" export
        text = raw.decode("utf-16")
    else:
        if b"\x00" in raw[:4096]:
            raise InputError(InputProblem(str(path), f"the {table} file is not text (it holds binary bytes)",
                                          "export the table as CSV (UTF-8), XLSX or GeoPackage"))
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Spreadsheets saved on Windows are often cp1252; every byte decodes, so this is the fallback.
            text = raw.decode("cp1252")
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        raise InputError(InputProblem(str(path), f"the {table} file has no header row",
                                      "the first line must name the columns"))
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    from io import StringIO

    try:
        df = pd.read_csv(StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.ParserError as e:
        raise InputError(InputProblem(str(path), f"cannot parse the {table} file: {e}",
                                      "check for unquoted commas or a ragged row")) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _read_xlsx(path: Path, table: str, sheet: str | None) -> pd.DataFrame:
    try:
        sheets = pd.ExcelFile(path, engine="openpyxl").sheet_names
    except Exception as e:  # openpyxl raises many kinds for a corrupt file
        raise InputError(InputProblem(str(path), f"cannot open the workbook: {e}", "save it again as .xlsx")) from None
    if sheet is None:
        matches = [s for s in sheets if s.strip().lower() == table]
        sheet = matches[0] if matches else (sheets[0] if len(sheets) == 1 else None)
    if sheet not in sheets:
        raise InputError(InputProblem(str(path), f"no sheet '{sheet or table}' (sheets: {', '.join(sheets)})",
                                      f"name the sheet in the scenario, e.g. inputs: {{sheets: {{{table}: <sheet>}}}}"))
    df = pd.read_excel(path, sheet_name=sheet, dtype=str, engine="openpyxl", keep_default_na=False)
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _read_gis(path: Path, table: str, layer: str | None) -> pd.DataFrame:
    import geopandas as gpd

    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as e:
        raise InputError(InputProblem(str(path), f"cannot read the GIS layer: {e}",
                                      "check it opens in QGIS; name the layer for a multi-layer GeoPackage")) from None
    gdf.columns = [str(c).strip() for c in gdf.columns]
    return gdf
