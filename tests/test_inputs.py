"""Input formats and bad inputs: every problem named by file, column, ids and fix; never a traceback."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from estate_opt.cli import main
from estate_opt.errors import InputError
from estate_opt.inputs.estate import load_estate
from estate_opt.inputs.scenario import load_scenario
from estate_opt.run import run_scenario


def problems_of(path) -> str:
    with pytest.raises(InputError) as e:
        load_estate(load_scenario(path))
    return str(e.value)


def cli_error(path, capsys) -> str:
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_missing_required_column(line, capsys):
    tables, make = line
    tables["sites"] = tables["sites"].drop(columns="running_cost_gbp")
    err = cli_error(make(), capsys)
    assert "sites.csv" in err and "missing required column running_cost_gbp" in err


def test_duplicate_ids(line, capsys):
    tables, make = line
    tables["sites"].loc[2, "site_id"] = "S1"
    err = cli_error(make(), capsys)
    assert "sites.csv, column 'site_id': duplicate ids [S1]" in err


def test_unknown_service(line, capsys):
    tables, make = line
    tables["occupation"].loc[1, "service_id"] = "libary"
    tables["sites"].loc[2, "can_host"] = "lib;gym"
    err = cli_error(make(), capsys)
    assert "occupation.csv, column 'service_id': refers to services that are not in the services file [libary]" in err
    assert "can_host names services that are not in the services file: gym" in err and "[S3]" in err


def test_negative_and_zero_area(line, capsys):
    tables, make = line
    tables["sites"].loc[0, "floor_area_m2"] = -5
    tables["sites"].loc[1, "floor_area_m2"] = 0
    err = cli_error(make(), capsys)
    assert "column 'floor_area_m2': must be greater than zero [S1, S2]" in err


def test_no_coordinates(line, capsys):
    tables, make = line
    tables["zones"] = tables["zones"].drop(columns=["easting", "northing"])
    err = cli_error(make(), capsys)
    assert "zones.csv: no location columns" in err and "easting and northing" in err
    tables["zones"]["easting"] = [400000, ""]
    tables["zones"]["northing"] = [300000, ""]
    err = cli_error(make(), capsys)
    assert "zones.csv: missing coordinates [Z2]" in err


def test_swapped_lat_lon(line):
    tables, make = line
    z = tables["zones"].drop(columns=["easting", "northing"])
    z["lon"], z["lat"] = [53.45, -2.30], [-2.36, 53.44]  # Z1 swapped
    tables["zones"] = z
    msg = problems_of(make())
    assert "latitude and longitude look swapped" in msg and "[Z1]" in msg


def test_text_in_numbers_and_bad_flags(line):
    tables, make = line
    tables["sites"]["running_cost_gbp"] = ["£100,000", "80000", "50000"]
    tables["sites"]["must_retain"] = ["maybe", "false", "false"]
    msg = problems_of(make())
    assert "column 'running_cost_gbp': not a number" in msg and "[S1]" in msg
    assert "column 'must_retain': not true/false: ['maybe']" in msg


def test_contradictory_flags(line):
    tables, make = line
    tables["sites"]["must_retain"] = ["true", "false", "false"]
    tables["sites"]["must_dispose"] = ["true", "false", "false"]
    assert "flagged both must_retain and must_dispose" in problems_of(make())


def test_demand_basis_must_be_a_zones_column(line):
    tables, make = line
    tables["services"]["demand_basis"] = "aged_0_to_4"
    msg = problems_of(make())
    assert "demand_basis 'aged_0_to_4' is not a column of the zones file" in msg


def test_scenario_unknown_setting_and_missing_file(line, tmp_path):
    _, make = line
    path = make({"constraints": {"max_site": 2}, "solver": {"time_limit": 5}})
    with pytest.raises(InputError) as e:
        load_scenario(path)
    msg = str(e.value)
    assert "unknown setting 'constraints.max_site'" in msg and "did you mean 'max_sites'" in msg
    assert "did you mean 'time_limit_s'" in msg
    (tmp_path / "in" / "zones.csv").unlink()
    with pytest.raises(InputError, match="inputs.zones: file not found"):
        load_scenario(path)


def test_semicolon_csv_and_cp1252_are_read(line, tmp_path):
    tables, make = line
    path = make()
    sites = tables["sites"].copy()
    sites.loc[0, "name"] = "Café Hall"
    sites.to_csv(tmp_path / "in" / "sites.csv", sep=";", index=False, encoding="cp1252")
    estate = load_estate(load_scenario(path))
    assert estate.sites.at["S1", "name"] == "Café Hall"


def test_xlsx_and_geopackage_inputs_give_the_same_plan(line, tmp_path):
    tables, make = line
    csv_plan, _ = run_scenario(load_scenario(make()), None)
    folder = tmp_path / "in"
    with pd.ExcelWriter(folder / "estate.xlsx") as xl:
        tables["sites"].to_excel(xl, sheet_name="Sites", index=False)
        tables["services"].to_excel(xl, sheet_name="services", index=False)
    z = tables["zones"]
    gpd.GeoDataFrame(z.drop(columns=["easting", "northing"]),
                     geometry=gpd.points_from_xy(z.easting, z.northing), crs="EPSG:27700") \
        .to_crs("EPSG:4326").to_file(folder / "zones.gpkg", driver="GPKG")
    path = make({"inputs": {"sites": "estate.xlsx", "services": "estate.xlsx", "zones": "zones.gpkg",
                            "occupation": "occupation.csv", "sheets": {"sites": "Sites"}}}, name="mixed.yaml")
    plan, _ = run_scenario(load_scenario(path), None)
    assert plan.result.objective == pytest.approx(csv_plan.result.objective)
    assert plan.allocation.travel_min.tolist() == pytest.approx(csv_plan.allocation.travel_min.tolist(), abs=1e-6)


def test_xlsx_wrong_sheet_is_named(line, tmp_path):
    tables, make = line
    make()
    with pd.ExcelWriter(tmp_path / "in" / "estate.xlsx") as xl:
        tables["sites"].to_excel(xl, sheet_name="Buildings", index=False)
        tables["services"].to_excel(xl, sheet_name="Services", index=False)
    path = make({"inputs": {"sites": "estate.xlsx", "services": "services.csv", "zones": "zones.csv",
                            "sheets": {"sites": "Sites"}}}, name="x.yaml")
    assert "no sheet 'Sites' (sheets: Buildings, Services)" in problems_of(path)


def test_gis_layer_without_crs_is_refused(line, tmp_path):
    tables, make = line
    make()
    z = tables["zones"]
    with pytest.warns(UserWarning, match="crs"):
        gpd.GeoDataFrame(z.drop(columns=["easting", "northing"]),
                         geometry=gpd.points_from_xy(z.easting, z.northing)).to_file(tmp_path / "in" / "zones.gpkg")
    path = make({"inputs": {"sites": "sites.csv", "services": "services.csv", "zones": "zones.gpkg"}},
                name="g.yaml")
    assert "zones.gpkg: the layer has no coordinate reference system" in problems_of(path)


def test_all_problems_reported_at_once(line):
    tables, make = line
    tables["sites"].loc[0, "floor_area_m2"] = -1
    tables["zones"]["population"] = ["many", "100"]
    msg = problems_of(make())
    assert "2 problems" in msg and "sites.csv" in msg and "zones.csv" in msg
