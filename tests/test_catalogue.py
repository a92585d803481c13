"""The catalogue of bad inputs: each kind answered by a message naming the file, the column, the ids
and the fix, with a non-zero exit and no traceback. The README's troubleshooting table quotes these
messages; ``test_readme_troubleshooting_quotes_the_catalogue`` keeps the two in step.

Each case edits the hand-solvable line estate (tests/conftest.py), writes it as real files and runs
``estate-opt validate`` on it, exactly as a user would.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from typing import Callable

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from conftest import ROOT, line_tables, write_scenario
from shapely.geometry import Point, Polygon

from estate_opt.cli import main


@dataclass
class Case:
    kind: str
    expect: list[str]  # fragments the message must hold (file, column, ids, fix)
    tables: Callable | None = None  # edit the tables; may return scenario settings
    files: Callable | None = None  # edit the written files: f(folder, scenario_path)
    code: int = 2  # 2 bad input, 3 infeasible
    extra: dict = field(default_factory=dict)


def _set(table, col, row, value):
    def edit(t):
        t[table][col] = t[table][col].astype(object)
        t[table].loc[row, col] = value
    return edit


def _scenario(edit):
    def files(folder, path):
        data = yaml.safe_load(path.read_text())
        edit(data)
        path.write_text(yaml.safe_dump(data))
    return files


def _write(table, content):
    def files(folder, path):
        f = folder / f"{table}.csv"
        f.write_bytes(content) if isinstance(content, bytes) else f.write_text(content)
    return files


def _gis(crs, geometry=None, fmt="gpkg"):
    """Sites as a GIS layer: BNG points (or the given geometries) stored with ``crs``."""
    def files(folder, path):
        sites = pd.read_csv(folder / "sites.csv")
        geoms = geometry or [Point(x, y) for x, y in zip(sites.easting, sites.northing)]
        gdf = gpd.GeoDataFrame(sites.drop(columns=["easting", "northing"]), geometry=geoms, crs=crs)
        name = f"sites.{fmt}"
        gdf.to_file(folder / name, driver="GPKG" if fmt == "gpkg" else "GeoJSON")
        _scenario(lambda d: d["inputs"].update(sites=name))(folder, path)
    return files


def _xlsx_wrong_sheet(folder, path):
    with pd.ExcelWriter(folder / "sites.xlsx") as w:
        pd.read_csv(folder / "sites.csv").to_excel(w, sheet_name="Buildings", index=False)
        pd.DataFrame({"a": [1]}).to_excel(w, sheet_name="Notes", index=False)
    _scenario(lambda d: d["inputs"].update(sites="sites.xlsx"))(folder, path)


BOWTIE = Polygon([(400000, 300000), (400100, 300100), (400100, 300000), (400000, 300100)])

CATALOGUE = [
    # files
    Case("missing file", ["inputs.sites: file not found", "nosuch.csv", "paths are relative to the scenario file"],
         files=_scenario(lambda d: d["inputs"].update(sites="nosuch.csv"))),
    Case("empty file", ["sites.csv: the sites file is empty", "export the sites table again"],
         files=_write("sites", "")),
    Case("header but no rows", ["sites.csv: the sites table has a header but no rows", "add at least one sites row"],
         files=_write("sites", "site_id,name,owner,owner_type,floor_area_m2,running_cost_gbp,can_host\n")),
    Case("a folder named as a file", ["sites.csv: the sites path is a folder, not a file", "name the file itself"],
         files=lambda f, p: ((f / "sites.csv").unlink(), (f / "sites.csv").mkdir())),
    Case("workbook saved as .csv", ["sites.csv: the sites file is a spreadsheet (XLSX/ZIP), not CSV text",
                                    "rename it to .xlsx"], files=_write("sites", b"PK\x03\x04\x14\x00rest")),
    Case("binary file", ["sites.csv: the sites file is not text", "export the table as CSV"],
         files=_write("sites", b"site_id\x00\x00\x01\x02")),
    Case("unsupported format", ["cannot read '.dbf' files", "give CSV, XLSX, GeoPackage"],
         files=lambda f, p: ((f / "sites.dbf").write_bytes(b"x"),
                             _scenario(lambda d: d["inputs"].update(sites="sites.dbf"))(f, p))),
    Case("XLSX without the named sheet", ["sites.xlsx: no sheet 'sites' (sheets: Buildings, Notes)",
                                          "inputs: {sheets: {sites: <sheet>}}"], files=_xlsx_wrong_sheet),
    Case("unparseable CSV", ["sites.csv: cannot parse the sites file", "check for unquoted commas or a ragged row"],
         files=_write("sites", 'site_id,name\nS1,"unterminated\n')),
    # columns and values
    Case("missing required column", ["sites.csv: missing required column running_cost_gbp",
                                     "add the column(s); the sites table needs"],
         tables=lambda t: t.__setitem__("sites", t["sites"].drop(columns="running_cost_gbp"))),
    Case("text in a number column", ["sites.csv, column 'running_cost_gbp': not a number: ['about 5k'] [S1]",
                                     "write plain numbers"], tables=_set("sites", "running_cost_gbp", 0, "about 5k")),
    Case("blank required value", ["sites.csv, column 'running_cost_gbp': 1 blank value(s) in a required column [S2]",
                                  "fill in 'running_cost_gbp'"], tables=_set("sites", "running_cost_gbp", 1, None)),
    Case("blank id", ["sites.csv, column 'site_id': 1 blank value(s) in a required column [row 3]"],
         tables=_set("sites", "site_id", 1, None)),
    Case("zero floor area", ["sites.csv, column 'floor_area_m2': must be greater than zero [S2]"],
         tables=_set("sites", "floor_area_m2", 1, 0)),
    Case("negative floor area", ["sites.csv, column 'floor_area_m2': must be greater than zero [S1]"],
         tables=_set("sites", "floor_area_m2", 0, -5)),
    Case("negative cost", ["sites.csv, column 'running_cost_gbp': below the minimum 0 [S1]", "negative?"],
         tables=_set("sites", "running_cost_gbp", 0, -10)),
    Case("negative population", ["zones.csv, column 'population': below the minimum 0 [Z1]"],
         tables=_set("zones", "population", 0, -10)),
    Case("no demand at all", ["zones.csv, column 'population': no zone has any demand",
                              "fill in each zone's population"],
         tables=lambda t: t["zones"].__setitem__("population", 0)),
    Case("share above one", ["services.csv, column 'required_share': above the maximum 1 [lib]",
                             "a share between 0 and 1"], tables=_set("services", "required_share", 0, 1.5)),
    Case("not true/false", ["sites.csv, column 'must_retain': not true/false: ['maybe'] [S1]", "write true or false"],
         tables=lambda t: t["sites"].__setitem__("must_retain", ["maybe", "no", "no"])),
    Case("not a date", ["sites.csv, column 'lease_end': not a date: ['soon'] [S1]", "YYYY-MM-DD"],
         tables=lambda t: (t["sites"].__setitem__("tenure", "leasehold"),
                           t["sites"].__setitem__("lease_end", ["soon", "2030-01-01", "2030-01-01"]))),
    Case("unknown category", ["sites.csv, column 'owner_type': unknown value(s) ['councl'] [S1]",
                              "use one of: council, nhs"], tables=_set("sites", "owner_type", 0, "councl")),
    # ids and references
    Case("duplicate site ids", ["sites.csv, column 'site_id': duplicate ids [S1]", "make every site_id unique"],
         tables=_set("sites", "site_id", 2, "S1")),
    Case("duplicate zone ids", ["zones.csv, column 'zone_id': duplicate ids [Z1]"],
         tables=_set("zones", "zone_id", 1, "Z1")),
    Case("occupation names an unknown site", ["occupation.csv, column 'site_id': refers to sites that are not in "
                                              "the sites file [S9]", "add them to the sites file or remove these rows"],
         tables=_set("occupation", "site_id", 0, "S9")),
    Case("occupation names an unknown service", ["occupation.csv, column 'service_id': refers to services that are "
                                                 "not in the services file [libary]"],
         tables=_set("occupation", "service_id", 1, "libary")),
    Case("can_host names an unknown service", ["can_host names services that are not in the services file: gym",
                                               "[S3]"], tables=_set("sites", "can_host", 2, "lib;gym")),
    Case("travel times name an unknown zone", ["travel_times.csv, column 'zone_id': refers to zones that are not "
                                               "in the zones file [Z9]"],
         tables=lambda t: (t.__setitem__("travel_times", pd.DataFrame(
             {"zone_id": ["Z1", "Z9"], "site_id": ["S1", "S1"], "minutes": [1, 2]})), {"travel": {"method": "matrix"}})[1]),
    Case("service listed twice at a site", ["occupation.csv: a service is listed twice at one site [S1/lib]",
                                            "merge the rows"],
         tables=lambda t: t.__setitem__("occupation", pd.concat([t["occupation"], t["occupation"].iloc[:1]]))),
    Case("more space occupied than the site has", ["occupation.csv, column 'floor_area_m2': services occupy more "
                                                   "floor area today than the site has", "[S1]"],
         tables=_set("occupation", "floor_area_m2", 0, 5000)),
    # locations
    Case("missing coordinates", ["zones.csv: missing coordinates [Z2]", "fill in easting/northing or lon/lat"],
         tables=_set("zones", "easting", 1, None)),
    Case("coordinates outside Great Britain", ["sites.csv: coordinates outside Great Britain [S1]",
                                               "BNG metres (EPSG:27700)"],
         tables=_set("sites", "easting", 0, 9_000_000)),
    Case("site outside the area", ["sites.csv, column 'easting': sites more than 30 km outside the area the zones "
                                   "cover [S2]", "check their coordinates"],
         tables=_set("sites", "easting", 1, 600_000)),
    Case("degrees in easting/northing", ["sites.csv, column 'easting': easting/northing look like "
                                         "longitude/latitude in degrees [S1, S2, S3]", "put degrees in lon and lat"],
         tables=lambda t: (t["sites"].__setitem__("easting", [-2.3, -2.31, -2.32]),
                           t["sites"].__setitem__("northing", [53.4, 53.41, 53.42]))),
    Case("latitude and longitude swapped", ["latitude and longitude look swapped", "swap the lon and lat values",
                                            "[Z1]"],
         tables=lambda t: t.__setitem__("zones", t["zones"].drop(columns=["easting", "northing"]).assign(
             lon=[53.4, -2.3], lat=[-2.3, 53.4]))),
    Case("no location columns", ["zones.csv: no location columns", "add easting and northing"],
         tables=lambda t: t.__setitem__("zones", t["zones"].drop(columns=["easting", "northing"]))),
    Case("GIS layer with no CRS", ["sites.gpkg: the layer has no coordinate reference system",
                                   "set the layer's CRS"], files=_gis(None)),
    Case("GIS layer with the wrong CRS", ["sites.gpkg, column 'geometry': in the layer's CRS (EPSG:4326) these "
                                          "features fall outside Great Britain [S1, S2, S3]",
                                          "the layer's CRS is probably wrong"], files=_gis("EPSG:4326")),
    Case("invalid geometry", ["sites.geojson, column 'geometry': invalid geometry [S1]", "Fix geometries"],
         files=_gis("EPSG:27700", [BOWTIE, Point(410000, 300000), Point(405000, 300000)], "geojson")),
    # flags, services and feasibility
    Case("must-retain and must-dispose together", ["both must_retain and must_dispose", "[S1]"],
         tables=lambda t: (t["sites"].__setitem__("must_retain", ["true", "false", "false"]),
                           t["sites"].__setitem__("must_dispose", ["true", "false", "false"]))),
    Case("a service no site can host", ["sites.csv, column 'can_host': no site can host service(s) lib",
                                        "list the service in some site's can_host"],
         tables=lambda t: (t["sites"].__setitem__("can_host", ""),
                           t.__setitem__("occupation", t["occupation"].iloc[0:0]))),
    Case("a standard no site can meet", ["zones Z1 have no site able to host lib within 1 min", "100 residents",
                                         "relax its standard"], code=3,
         tables=lambda t: {"services": {"lib": {"max_travel_min": 1}}, "constraints": {"must_dispose": ["S1"]}}),
    Case("demand above capacity", ["services need 4,000 m² but the sites not marked for disposal have only "
                                   "2,300 m² (1,700 m² short)"], code=3,
         tables=lambda t: t["services"].__setitem__("space_m2_per_unit", 20.0)),
    # the scenario file
    Case("scenario names an unknown setting", ["unknown setting 'constraints.max_site'", "did you mean"],
         files=_scenario(lambda d: d.update(constraints={"max_site": 2}))),
    Case("scenario setting of the wrong type", ["'solver.time_limit_s': 'soon' is not a number",
                                                "expected a number, e.g. 600"],
         files=_scenario(lambda d: d.update(solver={"time_limit_s": "soon"}))),
    Case("scenario is not YAML", ["scenario.yaml: not valid YAML", "check indentation and colons"],
         files=lambda f, p: p.write_text("name: [unclosed\n  inputs: {")),
    Case("scenario names an unknown site", ["constraints.must_retain names sites not in the sites file [S99]"],
         files=_scenario(lambda d: d.update(constraints={"must_retain": ["S99"]}))),
    Case("scenario names an unknown service", ["services.gym: no such service in the services file [gym]",
                                               "use one of: lib"],
         files=_scenario(lambda d: d.update(services={"gym": {"max_travel_min": 5}}))),
    Case("scenario file does not exist", ["the scenario file does not exist"],
         files=lambda f, p: p.unlink()),
]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")  # the no-CRS layer is written on purpose
@pytest.mark.parametrize("case", CATALOGUE, ids=[c.kind for c in CATALOGUE])
def test_bad_input_is_named_with_its_fix(case, tmp_path, capsys):
    tables = line_tables()
    settings = case.tables(tables) if case.tables else None
    path = write_scenario(tmp_path / "in", tables, settings if isinstance(settings, dict) else None)
    if case.files:
        case.files(tmp_path / "in", path)
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == case.code, err
    assert "Traceback" not in err
    for fragment in case.expect:
        assert fragment in err, f"{fragment!r} not in:\n{err}"


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_validate_tells_thirty_kinds_of_bad_input_apart(tmp_path, capsys):
    """The product, not the list: the clean estate validates, and each kind of bad input gets a refusal of its
    own (a different message), so the catalogue's kinds are thirty-odd diagnoses, not one generic error."""
    folder = tmp_path / "clean"
    assert main(["validate", str(write_scenario(folder, line_tables()))]) == 0
    capsys.readouterr()
    messages = {}
    folder = tmp_path / "case"  # one path for every case, so no two messages differ by their file names alone
    for case in CATALOGUE:
        shutil.rmtree(folder, ignore_errors=True)
        tables = line_tables()
        settings = case.tables(tables) if case.tables else None
        path = write_scenario(folder, tables, settings if isinstance(settings, dict) else None)
        if case.files:
            case.files(folder, path)
        assert main(["validate", str(path)]) != 0, case.kind
        err = capsys.readouterr().err
        assert err.strip(), case.kind
        messages.setdefault(err, []).append(case.kind)
    same = [kinds for kinds in messages.values() if len(kinds) > 1]
    assert not same, f"these kinds get the same message: {same}"
    assert len(messages) == len(CATALOGUE) >= 30


def test_readme_troubleshooting_quotes_the_catalogue():
    """Every message quoted in the README's troubleshooting table is one the catalogue checks."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    quoted = [m for line in section.splitlines() if line.startswith("| `")
              for m in re.findall(r"`([^`]+)`", line.split("|")[1])]
    assert len(quoted) >= 15
    known = " ".join(f for c in CATALOGUE for f in c.expect) + " " + " ".join(RUN_MESSAGES)
    for q in quoted:
        parts = [p.strip() for p in re.split(r"\.\.\.|…", q) if p.strip()]
        assert all(p in known for p in parts), f"README quotes {q!r}, which no catalogue case checks"


# Messages from runs rather than inputs, checked in tests/test_cli.py and tests/test_infeasible.py.
RUN_MESSAGES = ["holds a previous run; pass --overwrite", "WARNING: this plan is NOT proven optimal",
                "cannot be served within the travel standards and site capacities together with",
                "would need", "m² more floor area", "CBC overran its time limit",
                "the solver found no plan", "HiGHS has no option"]


def test_scenario_paths_resolve_against_the_scenario_not_the_working_directory(tmp_path, monkeypatch):
    path = write_scenario(tmp_path / "in", line_tables())
    monkeypatch.chdir(tmp_path)
    assert main(["validate", str(path.relative_to(tmp_path))]) == 0
    shutil.copy(path, tmp_path / "elsewhere.yaml")  # the same text elsewhere names files that are not there
    assert main(["validate", "elsewhere.yaml"]) == 2


def test_blank_rows_and_odd_encodings_are_read_not_refused(tmp_path):
    """Spreadsheet padding rows, a BOM, UTF-16 and pipe-delimited exports are all read as meant."""
    path = write_scenario(tmp_path / "in", line_tables())
    folder = tmp_path / "in"
    zones = (folder / "zones.csv").read_text()
    (folder / "zones.csv").write_text(zones + ",,,,\n\n")
    (folder / "sites.csv").write_text((folder / "sites.csv").read_text(), encoding="utf-16")
    occ = pd.read_csv(folder / "occupation.csv")
    occ.to_csv(folder / "occupation.csv", sep="|", index=False)
    (folder / "services.csv").write_bytes(b"\xef\xbb\xbf" + (folder / "services.csv").read_bytes())
    assert main(["validate", str(path)]) == 0


def test_paths_in_scenarios_never_escape_yaml_safety(tmp_path):
    """A scenario cannot run code: YAML tags for Python objects are refused as invalid YAML."""
    path = write_scenario(tmp_path / "in", line_tables())
    path.write_text("!!python/object/apply:os.system ['echo pwned > " + str(tmp_path / "pwned") + "']\n")
    assert main(["validate", str(path)]) == 2
    assert not (tmp_path / "pwned").exists()



def test_validate_checks_reach_like_the_full_build(tmp_path):
    """validate's nearest-host reach check finds exactly what the full pair table would."""
    from estate_opt.inputs.estate import load_estate
    from estate_opt.inputs.orlib import to_files
    from estate_opt.inputs.scenario import load_scenario
    from estate_opt.inputs.synthetic import generate
    from estate_opt.model import diagnose
    from estate_opt.model.formulation import ModelOptions

    raw, sc = generate(60, 150, 6, 3)
    raw["services"]["max_travel_min"] = raw["services"]["max_travel_min"] * 0.5  # some zones fall outside
    sc = load_scenario(to_files(raw, sc, tmp_path))
    sc.constraints.must_dispose = list(raw["sites"].site_id[:10])
    full, quick = load_estate(sc), load_estate(sc, reach_only=True)
    o = ModelOptions.from_scenario(sc)
    assert quick.reach_only and len(quick.pairs) <= len(quick.zones) * len(quick.services)
    reasons = diagnose.precheck(full, o)
    assert reasons and diagnose.precheck(quick, o) == reasons


def test_an_area_too_big_to_model_is_refused_with_the_fix(line, monkeypatch, capsys):
    from estate_opt.inputs import travel

    _, make = line
    monkeypatch.setattr(travel, "MAX_PAIRS", 3)
    out = make().parent / "run"
    assert main(["run", str(make()), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "zone-site trips lie within the longest catchment (6 min)" in err and "catchment_max_min" in err
    assert not out.exists()
