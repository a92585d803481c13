"""Check a raw table against its schema and return it typed, with defaults filled.

All problems in a table are collected and raised together, each naming the file, the column,
the ids and the fix. Locations are resolved here to ``x``/``y`` in British National Grid metres.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from estate_opt.errors import Problems
from estate_opt.inputs.schema import Column, Table

TRUE = {"true", "yes", "y", "1", "t"}
FALSE = {"false", "no", "n", "0", "f", ""}
BNG = "EPSG:27700"
# A generous box around Great Britain in BNG metres: anything outside is a coordinate mistake.
BNG_BOUNDS = (-10_000.0, -10_000.0, 700_000.0, 1_300_000.0)


def conform(raw: pd.DataFrame, table: Table, source: str, problems: Problems,
            location_required: bool = True) -> pd.DataFrame:
    """Return ``raw`` typed to ``table``: every schema column present, defaults filled.

    Extra columns are kept (zones use them as demand bases). Problems go to ``problems``.
    """
    df = raw.copy()
    if "geometry" in df.columns:
        geom = df.pop("geometry")
    else:
        geom = None
    df = pd.DataFrame(df)
    present = set(df.columns)
    missing = [c.name for c in table.columns if c.required and c.name not in present]
    if missing:
        problems.add(source, f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                     f"add the column(s); the {table.name} table needs: "
                     + ", ".join(c.name for c in table.columns if c.required)
                     + f" (found: {', '.join(map(str, df.columns)) or 'none'})")
        return df
    blank = np.ones(len(df), dtype=bool)  # rows with nothing in any column: spreadsheet padding, dropped
    for c in df.columns:
        blank &= df[c].isna().to_numpy() | (df[c].astype(str).str.strip() == "").to_numpy()
    if blank.any():
        df = df[~blank]
        geom = geom[~blank] if geom is not None else None
    if len(df) == 0:
        problems.add(source, f"the {table.name} table has a header but no rows", f"add at least one {table.name} row")
        return df

    id_col = table.columns[0].name
    for c in table.columns:
        df[c.name] = _coerce(df, c, table, source, problems, id_col)

    if table.location:
        x, y = _locate(df, geom, source, problems, id_col, location_required)
        df["x"], df["y"] = x, y
    if table.extra_numeric_ok:
        for col in [c for c in df.columns if c not in table.names and c not in ("x", "y", "easting", "northing",
                                                                                    "lon", "lat")]:
            num = pd.to_numeric(df[col].replace("", np.nan), errors="coerce")
            if num.notna().sum() == df[col].replace("", np.nan).notna().sum():
                df[col] = num  # a numeric extra column: usable as a demand basis
    return df


def _ids(df: pd.DataFrame, mask, id_col: str) -> list[str]:
    if id_col in df.columns:
        return [str(v) for v in df.loc[mask, id_col]]
    return [f"row {i + 2}" for i in np.flatnonzero(np.asarray(mask))]


def _coerce(df: pd.DataFrame, c: Column, table: Table, source: str, problems: Problems, id_col: str) -> pd.Series:
    if c.name not in df.columns:
        return pd.Series([c.default] * len(df), index=df.index, dtype=object if c.dtype != "float" else float)
    s = df[c.name]
    text = s.astype(str).str.strip().where(s.notna(), "")
    text = text.replace({"nan": "", "NaN": "", "None": "", "NA": "" if c.dtype != "str" else "NA"})
    blank = text == ""
    if c.required and blank.any():
        problems.add(source, f"{int(blank.sum())} blank value(s) in a required column", f"fill in '{c.name}'",
                     c.name, _ids(df, blank, id_col) if c.name != id_col else [f"row {i + 2}" for i in np.flatnonzero(blank)])
    if c.dtype == "str":
        out = text
        if c.allowed:
            low = out.str.lower().str.replace(" ", "_")
            bad = ~blank & ~low.isin(c.allowed)
            if bad.any():
                problems.add(source, f"unknown value(s) {sorted(set(out[bad]))[:5]}", f"use one of: {', '.join(c.allowed)}",
                             c.name, _ids(df, bad, id_col))
            out = low.where(~blank, c.default if c.default is not None else "")
        elif c.default is not None:
            out = out.where(~blank, c.default)
        if c.unique:
            dup = out.duplicated(keep=False) & ~blank
            if dup.any():
                problems.add(source, "duplicate ids", f"make every {c.name} unique", c.name, sorted(set(out[dup])))
        return out
    if c.dtype == "float":
        num = pd.to_numeric(text.where(~blank, None), errors="coerce")
        bad = num.isna() & ~blank
        if bad.any():
            problems.add(source, f"not a number: {sorted(set(text[bad]))[:5]}", "write plain numbers (no units, £ or commas)",
                         c.name, _ids(df, bad, id_col))
        inf = np.isinf(num)
        if inf.any():
            problems.add(source, "infinite value", "write a finite number", c.name, _ids(df, inf, id_col))
        if c.positive:
            low = num.notna() & (num <= 0)
            if low.any():
                problems.add(source, "must be greater than zero", f"correct '{c.name}' (zero or negative)", c.name,
                             _ids(df, low, id_col))
        if c.min is not None:
            low = num.notna() & (num < c.min)
            if low.any():
                problems.add(source, f"below the minimum {c.min:g}", f"correct '{c.name}' (negative?)", c.name,
                             _ids(df, low, id_col))
        if c.max is not None:
            high = num.notna() & (num > c.max)
            if high.any():
                problems.add(source, f"above the maximum {c.max:g}", f"'{c.name}' is a share between 0 and 1", c.name,
                             _ids(df, high, id_col))
        if c.default is not None:
            num = num.fillna(float(c.default))
        return num.astype(float)
    if c.dtype == "bool":
        low = text.str.lower()
        bad = ~low.isin(TRUE | FALSE)
        if bad.any():
            problems.add(source, f"not true/false: {sorted(set(text[bad]))[:5]}", "write true or false", c.name,
                         _ids(df, bad, id_col))
        return low.isin(TRUE)
    if c.dtype == "date":
        d = pd.to_datetime(text.where(~blank, None), errors="coerce", format="mixed", dayfirst=False)
        bad = d.isna() & ~blank
        if bad.any():
            problems.add(source, f"not a date: {sorted(set(text[bad]))[:5]}", "write dates as YYYY-MM-DD", c.name,
                         _ids(df, bad, id_col))
        return d.dt.date.where(d.notna(), None)
    if c.dtype == "list":
        return text.map(lambda v: tuple(sorted({p.strip() for p in v.replace(",", ";").split(";") if p.strip()})))
    raise ValueError(f"unknown dtype {c.dtype}")


def _locate(df: pd.DataFrame, geom, source: str, problems: Problems, id_col: str,
            required: bool) -> tuple[np.ndarray, np.ndarray]:
    """Resolve each row's location to BNG x, y (metres)."""
    n = len(df)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)

    def num(col):
        return pd.to_numeric(df[col].astype(str).str.strip().replace({"": None, "nan": None}), errors="coerce").to_numpy(float)

    if geom is not None:
        g = gpd.GeoSeries(geom)
        if g.crs is None:
            problems.add(source, "the layer has no coordinate reference system",
                         "set the layer's CRS (e.g. EPSG:27700 or EPSG:4326) in QGIS and save again")
            return x, y
        invalid = ~g.is_valid & g.notna()
        if invalid.any():
            problems.add(source, "invalid geometry", "repair it (QGIS: Fix geometries)", "geometry", _ids(df, invalid, id_col))
            g = g.where(~invalid, None)
        g = g.to_crs(BNG)
        # A polygon zone is represented by a point inside it; a population-weighted centroid is better.
        pts = g.map(lambda v: None if v is None or v.is_empty else (v if v.geom_type == "Point" else v.representative_point()))
        x = np.array([p.x if p is not None else np.nan for p in pts])
        y = np.array([p.y if p is not None else np.nan for p in pts])
    elif {"easting", "northing"} <= set(df.columns) and (df["easting"].astype(str).str.strip() != "").any():
        x, y = num("easting"), num("northing")
    elif {"lon", "lat"} <= set(df.columns):
        lon, lat = num("lon"), num("lat")
        swapped = (np.abs(lon) > 45) & (np.abs(lat) < 15)
        if swapped.any():
            problems.add(source, "latitude and longitude look swapped (lon≈50s, lat≈0)", "swap the lon and lat values",
                         "lon", _ids(df, swapped, id_col))
            lon, lat = np.where(swapped, np.nan, lon), np.where(swapped, np.nan, lat)
        bad = ~np.isnan(lon) & ((lon < -9) | (lon > 3) | (lat < 49) | (lat > 61))
        if bad.any() and not swapped[bad].all():
            problems.add(source, "longitude/latitude outside Great Britain", "check the coordinates (WGS84 degrees)",
                         "lon", _ids(df, bad & ~swapped, id_col))
        from pyproj import Transformer

        t = Transformer.from_crs("EPSG:4326", BNG, always_xy=True)
        x, y = t.transform(lon, lat)
        x, y = np.asarray(x, float), np.asarray(y, float)
        x[np.isinf(x)] = np.nan
        y[np.isinf(y)] = np.nan
    elif required:
        problems.add(source, "no location columns", "add easting and northing (EPSG:27700), or lon and lat (WGS84), "
                     "or give a GeoPackage/GeoJSON layer")
        return x, y
    else:
        return x, y
    degrees = (np.abs(x) <= 180) & (np.abs(y) <= 90)  # BNG that small is open sea off the Scilly Isles
    if degrees.any():
        problems.add(source, "easting/northing look like longitude/latitude in degrees",
                     "put degrees in lon and lat columns, or give BNG metres (EPSG:27700) in easting/northing",
                     "easting", _ids(df, degrees, id_col))
        x, y = np.where(degrees, np.nan, x), np.where(degrees, np.nan, y)
    missing = (np.isnan(x) | np.isnan(y)) & ~degrees
    if required and missing.any():
        problems.add(source, "missing coordinates", "fill in easting/northing or lon/lat (or the postcode's location)",
                     None, _ids(df, missing, id_col))
    out = ~missing & ((x < BNG_BOUNDS[0]) | (y < BNG_BOUNDS[1]) | (x > BNG_BOUNDS[2]) | (y > BNG_BOUNDS[3]))
    if out.any() and geom is not None:
        problems.add(source, f"in the layer's CRS ({gpd.GeoSeries(geom).crs.to_string()}) these features fall "
                     "outside Great Britain", "the layer's CRS is probably wrong: set the one its coordinates are in "
                     "(metres: EPSG:27700; degrees: EPSG:4326) in QGIS and save again", "geometry", _ids(df, out, id_col))
    elif out.any():
        problems.add(source, "coordinates outside Great Britain", "easting/northing must be BNG metres (EPSG:27700)",
                     None, _ids(df, out, id_col))
    return x, y
