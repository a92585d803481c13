#!/usr/bin/env python
"""Build the embedded Trafford default dataset from the raw open-data files.

    python data/build_trafford.py [--raw data/raw] [--out data/trafford]

Reads only files under ``--raw`` (see data/raw/SOURCES.md) and writes sites.csv, services.csv,
occupation.csv, zones.csv, lsoa_boundaries.geojson, assumptions.csv and excluded.csv to ``--out``.
The build is deterministic: rows are sorted, numbers are rounded and formatted explicitly and
nothing depends on the clock, so two runs give byte-identical files.

Every figure that is not read from a source is either *derived* (computed here from a published
figure) or an *assumption*; both are listed in assumptions.csv with their source or reason, and
each site's ``notes`` say which of its figures are imputed. data/README.md explains the choices.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import Point, shape
from shapely.ops import unary_union

HERE = Path(__file__).resolve().parent

# --- raw file paths (relative to --raw) -------------------------------------------------------
F_REGISTER = "trafford/council_open_data/transparency_code/local_authority_land/trafford_land_and_building_assets.csv"
F_HUBS = "trafford/council_open_data/assets/community_hubs/trafford_community_hubs.csv"
F_LEISURE = "trafford/council_open_data/assets/leisure_centres/trafford_leisure_centres.csv"
F_LIBRARIES = "trafford/open_data/libraries/trafford_libraries.csv"
F_PROBATION = "trafford/open_data/probation/gm_probation_offices.csv"
F_CHILDRENS = "trafford/open_data/childrens_centres/trafford_childrens_centres.csv"
F_JOBCENTRES = "trafford/open_data/jobcentre_plus/trafford_jobcentreplus.csv"
F_GP = "trafford/open_data/general_practice/trafford_general_practices.csv"
F_GP_LIST = "trafford/open_data/general_practice/patient_registrations/trafford_gp_patient_registrations.csv"
F_HOSPITALS = "trafford/open_data/hospitals/trafford_hospitals.geojson"
F_FIRE = "trafford/open_data/fire_stations/trafford_fire_stations.geojson"
F_POP = "trafford/open_data/population/mid_year_2024/mid-year_2024_population_estimates_lsoa.csv"
F_LSOA = "trafford/spatial_data/lsoa/2021/trafford_lsoa_generalised.geojson"
F_CENTROIDS = "trafford/derived_lsoa21_oa_popweighted_centroids_mid2024.csv"
F_ERIC = "nhs_eric/ERIC_site_2016-17_dollar_delimited.csv"
F_CODEPOINT = "codepoint_open/trafford_postcodes_codepoint_open_2025-05.csv"

TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
TO_WGS = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)

# --- assumptions (no published figure available) ---------------------------------------------
# Each entry: value, unit, applies_to, why. Written to assumptions.csv with kind=assumption.
ASSUMED = {
    "min_service_point_share": (
        0.5, "share of today's smallest service point", "services.csv min_site_m2 (every service)",
        "A viable service point is assumed to need at least half the floor area of the smallest one that "
        "operates today; without a minimum the model may scatter a service over many buildings, because "
        "hosting a service costs nothing beyond its floor area. Raise it to 1 to forbid any point smaller than "
        "today's smallest (a much harder problem to prove optimal), or set 0 to allow any size."),
    "gp_m2_per_patient": (
        0.08, "m² GIA per registered patient", "GP premises not in any register (floor area); GP share of a shared building",
        "No GP premises floor areas are published for Trafford and we found no citable NHS space standard "
        "per patient; 0.08 m² (800 m² for a 10,000-patient practice) is a rule-of-thumb assumption. "
        "Partington Healthy Living Centre (935 m², 2 practices with 10,518 patients plus a library) suggests it is not low."),
    "jobcentre_m2": (
        800.0, "m² GIA per office", "Jobcentre Plus offices (floor area)",
        "DWP does not publish floor areas per jobcentre (ePIMS is not open data here); assumed typical office size."),
    "probation_office_m2": (
        600.0, "m² GIA per office", "Probation offices (floor area)",
        "HMPPS/MoJ do not publish floor areas per office here; assumed typical office size."),
    "hospital_storeys_altrincham": (
        3.0, "storeys", "Altrincham Hospital (floor area = OS footprint × storeys)",
        "Not in ERIC 2016-17 (no GIA published); the 2015 new-build hospital is a multi-storey block; "
        "3 storeys assumed."),
    "fire_station_storeys": (
        1.5, "storey equivalents", "GMFRS fire stations (floor area = OS footprint × storeys)",
        "No floor areas published; a station is a double-height appliance bay plus 2-storey accommodation, "
        "averaged as 1.5 storeys over the footprint."),
    "fire_station_other_use_share": (
        0.90, "share of floor area", "GMFRS fire stations (other_use_m2)",
        "Fire cover is not modelled: appliance bays, training and crew areas stay; 10% (e.g. a community room) "
        "is assumed available to host a community hub."),
    "civic_office_other_use_share": (
        0.80, "share of floor area", "Town halls, Sale Waterside and council offices (other_use_m2)",
        "Council office, chamber, theatre and ceremonial use is not modelled; 80% of the area is assumed to be "
        "that use; the rest (public ground-floor space) can host services."),
    "community_building_other_use_share": (
        0.50, "share of floor area", "Community centres, youth centres and council buildings of other or unknown use (other_use_m2)",
        "Their current activities (youth work, lettings, day services) are not modelled; half the area is "
        "assumed taken by them and half available to host services."),
    "dedicated_building_other_use_share": (
        1.00, "share of floor area", "Care homes, children's homes, day nursery, commissioned-service buildings, "
        "cemeteries/crematorium, park and sports-ground buildings, hospitals without ERIC data (other_use_m2)",
        "The whole building serves an activity that is not modelled and cannot share space."),
    "disposal_value_gbp_per_m2": (
        1000.0, "£ per m² GIA", "Freehold buildings that can be sold (disposal_value_gbp)",
        "No open data on market values of public buildings; a single blanket value for Trafford of £1,000/m² "
        "GIA (~£93/ft²) is assumed. Change it (or give site values) for real decisions."),
    "disposal_cost_share": (
        0.05, "share of disposal value", "All disposals (disposal_cost_gbp)",
        "Agent and legal fees (~2%) plus security, decommissioning and holding costs (~3%)."),
    "leasehold_disposal_value_gbp": (
        0.0, "£", "Leasehold sites and third-party buildings (disposal_value_gbp)",
        "A tenant cannot sell a lease it holds for value in general; exit saves the running cost only. "
        "Lease-exit costs (dilapidations) are unknown and left at 0."),
    "open_space_building_disposal_value_gbp": (
        0.0, "£", "Park, playing-field and cemetery buildings (disposal_value_gbp)",
        "Buildings inside public parks and cemeteries cannot be sold apart from the open space; "
        "disposal means a community asset transfer at nil value."),
    "move_cost_gbp_per_m2": (
        500.0, "£ per m² of new space", "All services except gp (move_cost_gbp_per_m2)",
        "One-off light refurbishment, fit-out and removals cost per m² of space a service moves into."),
    "move_cost_gp_gbp_per_m2": (
        1000.0, "£ per m² of new space", "gp (move_cost_gbp_per_m2)",
        "Clinical fit-out (consulting/treatment rooms, infection control) costs more than general space."),
    "travel_detour_factor": (
        1.3, "ratio", "Travel check (road distance / straight-line distance)",
        "The model's default travel assumption, used here to check today's estate against the standards."),
    "travel_speed_kmh": (
        20.0, "km/h", "Travel check (door-to-door speed)",
        "The model's default travel assumption, used here to check today's estate against the standards."),
}

FIGURE_NAMES = {
    "min_service_point_share": "smallest viable service point as a share of today's smallest",
    "gp_m2_per_patient": "GP premises floor area per registered patient",
    "jobcentre_m2": "Jobcentre Plus office floor area",
    "probation_office_m2": "probation office floor area",
    "hospital_storeys_altrincham": "Altrincham Hospital storeys",
    "fire_station_storeys": "fire station storeys over the footprint",
    "fire_station_other_use_share": "fire station share in fire-service use",
    "civic_office_other_use_share": "civic building share in office/civic use",
    "community_building_other_use_share": "community/youth centre share in current (unmodelled) use",
    "dedicated_building_other_use_share": "share of a dedicated building in its own use",
    "disposal_value_gbp_per_m2": "disposal (market) value per m² of a sellable freehold",
    "disposal_cost_share": "disposal cost as share of value",
    "leasehold_disposal_value_gbp": "disposal value of a leasehold or third-party building",
    "open_space_building_disposal_value_gbp": "disposal value of a park or cemetery building",
    "move_cost_gbp_per_m2": "move and fit-out cost per m²",
    "move_cost_gp_gbp_per_m2": "GP move and clinical fit-out cost per m²",
    "travel_detour_factor": "road detour factor",
    "travel_speed_kmh": "door-to-door travel speed",
}

# Travel standards (minutes) — policy choices a board sets, not data. Start values from the brief;
# raised (to the next 5 minutes) where today's estate does not meet them, so that the current estate
# meets every default standard (see the travel check printed at the end).
TRAVEL_STANDARD_MIN = {
    "gp": 15.0,
    "library": 20.0,
    "leisure": 25.0,
    "community_hub": 20.0,
    "childrens_centre": 35.0,  # brief start value 20; 2 centres today -> worst zone ~31 min
    "jobcentre": 45.0,
    "probation": 45.0,
}
TRAVEL_STANDARD_START = {"gp": 15, "library": 20, "leisure": 25, "community_hub": 20,
                         "childrens_centre": 20, "jobcentre": 45, "probation": 45}

SERVICES = [
    # service_id, name, demand_basis, demand_unit, incompatible_with
    ("gp", "GP practice", "population", "resident", ""),
    ("library", "Library", "population", "resident", ""),
    ("leisure", "Leisure centre", "population", "resident", ""),
    ("community_hub", "Community hub", "population", "resident", ""),
    ("childrens_centre", "Children's centre", "aged_0_to_4", "child aged 0-4", "probation"),
    ("jobcentre", "Jobcentre Plus", "aged_16_to_64", "resident aged 16-64", ""),
    ("probation", "Probation office", "aged_16_to_64", "resident aged 16-64", "childrens_centre"),
]

# What each building type could host (data/README.md, "can_host matrix"). Services hosted today are
# always added.
CAN_HOST = {
    "civic_office": "library;community_hub;childrens_centre;jobcentre;probation",
    "office": "community_hub;jobcentre;probation",
    "library": "library;community_hub;childrens_centre",
    "community_centre": "library;community_hub;childrens_centre",
    "youth_centre": "library;community_hub;childrens_centre",
    "childrens_centre": "childrens_centre;community_hub",
    "health_centre": "gp;library;community_hub;childrens_centre",
    "gp_practice": "gp;community_hub",
    "hospital": "gp;community_hub;childrens_centre",
    "leisure_centre": "leisure;community_hub",
    "fire_station": "community_hub",
    "jobcentre": "jobcentre;probation",
    "probation_office": "probation;jobcentre",
    "council_other": "community_hub;jobcentre;probation",
    "day_nursery": "childrens_centre",
    # whole building used by an unmodelled activity: nothing else fits
    "care_home": "", "childrens_home": "", "commissioned_service": "", "cemetery": "",
    "park_building": "", "sports_facility": "",
}

# other_use share by building type: which assumption applies (None = 0, the building is all service space)
OTHER_USE_RULE = {
    "civic_office": "civic_office_other_use_share",
    "office": "civic_office_other_use_share",
    "community_centre": "community_building_other_use_share",
    "youth_centre": "community_building_other_use_share",
    "council_other": "community_building_other_use_share",
    "fire_station": "fire_station_other_use_share",
    "care_home": "dedicated_building_other_use_share",
    "childrens_home": "dedicated_building_other_use_share",
    "commissioned_service": "dedicated_building_other_use_share",
    "day_nursery": "dedicated_building_other_use_share",
    "cemetery": "dedicated_building_other_use_share",
    "park_building": "dedicated_building_other_use_share",
    "sports_facility": "dedicated_building_other_use_share",
}

# ----------------------------------------------------------------------------------------------
# Council register: explicit decisions (everything else follows the rules in classify_register_row)
# ----------------------------------------------------------------------------------------------
# Register rows that are one building although neither UPRN nor name stem/size ties them.
REGISTER_SAME_BUILDING = [
    ("TMBC0368", "TMBC0155",
     "Old Trafford Sports Barn (no size) is the Seymour Park Sports Barn (630 m²) at St Hildas Road, M16 9PQ"),
]
# Register rows excluded by judgement although the rules would keep them.
REGISTER_EXCLUDE = {
    "TMBC0212": "same building (UPRN 10070453730) as TMBC0202 'Scouts - Former Lostock Library', which is "
                "let to the Scouts: not an operational council building",
}
# Site type overrides where the name rules would mislabel a building.
REGISTER_TYPE = {
    "TMBC0084": "council_other",     # 'Kingsway Park' is a building (380 m²), not a park
    "TMBC0088": "community_centre",  # Flixton House: historic house used for events and community use
}
# Readable names for some register buildings (the register's PropertyName is kept in notes).
REGISTER_NAME = {
    "TMBC0006": "Sale Waterside (Sale Town Hall, Civic Theatre, Sale Library, Waterside House)",
    "TMBC0076": "Altrincham Crematorium and chapel",
    "TMBC0081": "Partington & Carrington Children's Centre",
    "TMBC0088": "Flixton House",
    "TMBC0146": "Altrincham Golf Course clubhouse and driving range",
    "TMBC0155": "Old Trafford Sports Barn (Seymour Park)",
    "TMBC0159": "Trafford Water Sports Centre",
    "TMBC0224": "Timperley Library and Park Medical Practice",
    "TMBC0260": "Longford Park buildings (barn, clubhouse, amenities, pets corner)",
    "TMBC0397": "Gorse Hill Youth Centre (with Gorse Hill Centre PRU)",
    "TMBC0400": "Sale West Youth and Community Centre",
}

# Community centres in the register, used to derive a typical community-centre size.
COMMUNITY_CENTRE_ASSETS = ["TMBC0002", "TMBC0003", "TMBC0086", "TMBC0087", "TMBC0089", "TMBC0090",
                           "TMBC0091", "TMBC0092", "TMBC0094", "TMBC0095", "TMBC0096"]
# Register buildings that are current libraries / leisure centres (for typical sizes).
LIBRARY_ASSETS = ["TMBC0217", "TMBC0221", "TMBC0223", "TMBC0224", "TMBC0225", "TMBC0226"]
LEISURE_ASSETS = ["TMBC0151", "TMBC0153", "TMBC0154", "TMBC0155", "TMBC0156", "TMBC0162"]

# ----------------------------------------------------------------------------------------------
# Service points that lie in a register building (same postcode and/or within ~100 m and a
# plausible name or address match). Checked and printed by match_report().
# ----------------------------------------------------------------------------------------------
IN_REGISTER_BUILDING = {
    ("library", "Altrincham Library"): ("TMBC0216", "register 'Altrincham Library', same postcode"),
    ("library", "Coppice Library"): ("TMBC0217", "register 'Coppice Avenue Library', same postcode"),
    ("library", "Lostock Library"): ("TMBC0221", "register 'Lostock Library (In College)', same postcode"),
    ("library", "Partington Library and Wellbeing Centre"): (
        "TMBC0005", "the library and wellbeing centre is Partington Healthy Living Centre (17 m)"),
    ("library", "Sale Library"): ("TMBC0006", "register 'Sale Library (Integrated Facility in Sale Waterside)', same UPRN as Sale Waterside"),
    ("library", "Trafford Local Studies Centre"): ("TMBC0006", "address 'Sale Waterside', same postcode"),
    ("library", "Stretford Library"): ("TMBC0223", "register 'Stretford Library'"),
    ("library", "Timperley Library"): ("TMBC0224", "register 'Timperley Library', same postcode"),
    ("library", "Trafford Town Hall Library"): ("TMBC0008", "address 'Ground Floor, Trafford Town Hall'"),
    ("library", "Urmston Library"): ("TMBC0225", "register 'Urmston Library, Golden Way', same postcode"),
    ("library", "Woodsend Library"): ("TMBC0226", "register 'Woodsend Library', same postcode"),
    ("leisure", "Sale Leisure Centre"): ("TMBC0154", "register 'Sale Leisure Centre', same postcode"),
    ("leisure", "Stretford Sports Village, Chester Centre"): ("TMBC0156", "register 'Stretford Leisure Centre', same postcode"),
    ("leisure", "Stretford Sports Village, Old Trafford Sports Barn"): ("TMBC0368", "register 'Old Trafford Sports Barn', same postcode"),
    ("leisure", "Partington Sports Village"): ("TMBC0153", "register 'Partington Leisure Centre', same postcode"),
    ("leisure", "Move Urmston"): ("TMBC0162", "register 'Urmston Leisure Centre', same postcode"),
    ("leisure", "BeActive Urmston"): ("TMBC0151", "register 'George Carnell Leisure Centre' (run by George Carnall Community Group), same postcode"),
    ("community_hub", "Sale"): ("TMBC0400", "Sale Community Hub, Newbury Avenue = Sale West Youth/Community Centre (15 m)"),
    ("childrens_centre", "Partington Children's Centre"): ("TMBC0081", "register 'Partington & Carrington Children's Centre', same postcode"),
    ("childrens_centre", "Stretford Children's Centre"): ("TMBC0082", "register 'Stretford & Lostock Childrens Centre', same postcode"),
    ("gp", "Park Medical Practice"): ("TMBC0224", "same address (405 Stockport Road) as Timperley Library, rebuilt with a medical practice"),
    ("gp", "Partington Central Surgery"): ("TMBC0005", "'Partington Health Centre, Central Road' = Partington Healthy Living Centre"),
    ("gp", "Partington Family Practice"): ("TMBC0005", "'Partington Health Centre, Central Road' = Partington Healthy Living Centre"),
}
# Register buildings whose recorded area covers only the council's part; the co-located service's
# imputed space is added to the site's floor area (and said so in notes).
REGISTER_AREA_EXCLUDES = {
    "TMBC0224": ("gp", "register area 623 m² is about a typical Trafford library, i.e. the library part; the medical "
                       "practice in the same 2015 redevelopment is added at its imputed size"),
}

# Service points outside the register that share one building: site id -> (name, points, why)
SHARED_BUILDINGS = {
    "GP-P91008": ("Shay Lane Medical Centre", [("gp", "Shay Lane Medical Centre (Kelman)"),
                                               ("gp", "Shay Lane Medical Centre (Patel)")],
                  "two practices at Shay Lane Medical Centre, WA15 8NZ"),
    "GP-P91603": ("Altrincham Health & Wellbeing Centre", [("gp", "Barrington Medical Centre"),
                                                           ("gp", "St Johns Medical Centre")],
                  "two practices at 31-33 Market Street, WA14 1PF"),
    "GP-P91007": ("Timperley Health Centre", [("gp", "Timperley Health Centre (Westwood)"),
                                              ("gp", "Village Surgery")],
                  "two practices at 169 Grove Lane, WA15 6PH"),
    "GP-P91020": ("Limelight Health and Wellbeing Hub", [("gp", "Limelight Health And Wellbeing Hub"),
                                                         ("library", "Old Trafford Library at Limelight")],
                  "GP practice and library in Limelight, 1 St Brides Way, M16 9NW"),
}

# Service points left out of the model
EXCLUDED_POINTS = {
    ("leisure", "The Grammar"): "school sports facilities at Altrincham Grammar School for Boys let by "
                                "Schools Plus: education estate is out of scope",
}

# Locality of a Trafford postcode district, used only to name fire stations and sites.
POSTCODE_LOCALITY = {
    "M15": "Hulme", "M16": "Old Trafford", "M17": "Trafford Park", "M21": "Chorlton", "M23": "Wythenshawe",
    "M31": "Partington", "M32": "Stretford", "M33": "Sale", "M41": "Urmston", "M44": "Irlam",
    "WA13": "Lymm", "WA14": "Altrincham", "WA15": "Altrincham",
}

# ERIC: running-cost and backlog columns (the header's '£' is written 'Â£' in the file's encoding)
ERIC_RUNNING = ["Estates and property maintenance", "Grounds and gardens maintenance", "Other Hard FM (Estates) costs",
                "Other Soft FM (Hotel Services) costs", "Cleaning service cost", "Energy costs (all energy supplies)",
                "Water cost", "Sewage cost", "Landfill disposal cost", "Incineration disposal cost",
                "Waste reycling cost", "Other recovery cost"]
ERIC_BACKLOG = ["Cost to eradicate high risk backlog", "Cost to eradicate significant risk backlog",
                "Cost to eradicate moderate risk backlog", "Cost to eradicate low risk backlog"]
ERIC_TRAFFORD_SITES = ["RW3TR", "RXV80"]
ERIC_ENERGY = {"electricity": "Electricity consumed (kWh)", "gas": "Gas consumed (kWh)"}
# Published UK greenhouse-gas conversion factors (DESNZ, "Greenhouse gas reporting: conversion factors
# 2024", kg CO2e per kWh: UK electricity generation; natural gas, gross calorific value). Quoted here;
# the factors file itself is not in data/raw.
GHG_FACTORS = {"electricity": 0.20705, "gas": 0.18290}

MIN_BUILDING_M2 = 100.0


# ==============================================================================================
# helpers
# ==============================================================================================
def norm_postcode(pc) -> str:
    """Upper-case, single space; an 'O' typed for a zero at the start of the inward code is fixed."""
    if not isinstance(pc, str):
        return ""
    s = re.sub(r"\s+", " ", pc.strip().upper())
    m = re.match(r"^([A-Z]{1,2}\d[A-Z\d]?) ?O([A-Z]{2})$", s)
    if m:
        s = f"{m.group(1)} 0{m.group(2)}"
    return s


def is_full_postcode(pc: str) -> bool:
    return bool(re.match(r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$", pc or ""))


def locality(pc: str) -> str:
    return POSTCODE_LOCALITY.get((pc or "").split(" ")[0], "Trafford")


def slug(s: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", s.upper()).strip("-")


def bng(lon: float, lat: float) -> tuple[float, float]:
    return TO_BNG.transform(lon, lat)


def wgs(e: float, n: float) -> tuple[float, float]:
    return TO_WGS.transform(e, n)


def num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype(str).str.replace(",", "", regex=False).str.strip(), errors="coerce")


@dataclass
class Site:
    site_id: str
    name: str
    owner: str
    owner_type: str
    site_type: str
    lon: float
    lat: float
    floor_area_m2: float = float("nan")
    area_note: str = ""                 # where the floor area came from
    tenure: str = "freehold"
    sellable: bool = True               # False: disposal value 0 (leasehold, third party, open space)
    sell_note: str = ""
    must_retain: bool = False
    retain_note: str = ""
    other_use_m2: float | None = None   # set explicitly (hospitals), else from OTHER_USE_RULE
    other_use_note: str = ""
    running_cost_gbp: float | None = None
    backlog_gbp: float | None = None
    energy_kwh: dict | None = None      # {"electricity": kWh/yr, "gas": kWh/yr}
    cost_note: str = ""
    hosts: list = field(default_factory=list)   # [(service_id, service point name)]
    notes: list = field(default_factory=list)
    source: str = ""                    # source file of the primary record


# ==============================================================================================
# loaders, one per source
# ==============================================================================================
def load_codepoint(raw: Path) -> pd.DataFrame:
    cp = pd.read_csv(raw / F_CODEPOINT, dtype={"Postcode": str})
    cp["Postcode"] = cp["Postcode"].map(norm_postcode)
    return cp.set_index("Postcode")[["Eastings", "Northings"]]


def load_boundaries(raw: Path) -> list[dict]:
    gj = json.loads((raw / F_LSOA).read_text(encoding="utf-8"))
    return gj["features"]


def trafford_area(features: list[dict]):
    """Union of the 139 LSOA polygons (WGS84) — the test for 'inside Trafford'."""
    return unary_union([shape(f["geometry"]) for f in features])


def load_eric(raw: Path) -> tuple[dict, pd.DataFrame, dict]:
    """National medians over individual sites, and the Trafford sites' own rows.

    The file has a group-heading row above the header and '$' separators. 'Not Applicable' means
    the cost category does not arise on that site, so it counts as £0 (as in SOURCES.md: £129.78
    and £31.66 per m²). The medians over only the sites reporting every column are kept for
    comparison (they are higher: £140 and £50).
    """
    d = pd.read_csv(raw / F_ERIC, sep="$", header=1, dtype=str, encoding="utf-8")
    d.columns = [re.sub(r"\s*\((Â)?£\)$|\s*\(mÂ²\)$|\s*\(m²\)$", "", c).strip() for c in d.columns]
    d = d[d["Site Type"] != "Aggregate Site"].copy()
    gia = num(d["Gross internal floor area"])
    run = pd.concat([num(d[c]) for c in ERIC_RUNNING], axis=1)
    blg = pd.concat([num(d[c]) for c in ERIC_BACKLOG], axis=1)
    ok_run = run.notna().all(axis=1) & (gia > 0)
    ok_blg = blg.notna().all(axis=1) & (gia > 0)
    run_m2 = run.sum(axis=1)[ok_run] / gia[ok_run]
    blg_m2 = blg.sum(axis=1)[ok_blg] / gia[ok_blg]
    has_gia = gia > 0
    energy = {k: num(d[c]).fillna(0)[has_gia] / gia[has_gia] for k, c in ERIC_ENERGY.items()}
    run_na0 = run.fillna(0).sum(axis=1)[has_gia] / gia[has_gia]
    blg_na0 = blg.fillna(0).sum(axis=1)[has_gia] / gia[has_gia]
    med = {
        "n_sites": int(len(d)),
        "running_n": int(has_gia.sum()),
        "running_median": float(run_na0.median()),
        "running_q1": float(run_na0.quantile(0.25)),
        "running_q3": float(run_na0.quantile(0.75)),
        "backlog_n": int(has_gia.sum()),
        "backlog_median": float(blg_na0.median()),
        "kwh_per_m2": {k: float(v.median()) for k, v in energy.items()},
        # for comparison only: sites that report every column
        "running_median_strict": float(run_m2.median()), "running_n_strict": int(ok_run.sum()),
        "backlog_median_strict": float(blg_m2.median()), "backlog_n_strict": int(ok_blg.sum()),
    }
    t = d[d["Site Code"].isin(ERIC_TRAFFORD_SITES)].copy()
    own = {}
    for _, r in t.iterrows():
        g = float(num(pd.Series([r["Gross internal floor area"]]))[0])
        occ = float(num(pd.Series([r["Occupied floor area"]]))[0])
        empty = float(num(pd.Series([r["Floor area - empty (%)"]]))[0])
        own[r["Site Code"]] = {
            "org": r["Organisation Name"], "org_code": r["Organisation Code"], "site_name": r["Site Name"],
            "site_type": r["Site Type"], "gia": g, "occupied": occ, "empty_pct": empty,
            "running": float(sum(num(pd.Series([r[c]]))[0] for c in ERIC_RUNNING)),
            "backlog": float(sum(num(pd.Series([r[c]]))[0] for c in ERIC_BACKLOG)),
            "kwh": {k: float(num(pd.Series([r[c]])).fillna(0)[0]) for k, c in ERIC_ENERGY.items()},
        }
    return med, t, own


def load_register(raw: Path) -> pd.DataFrame:
    d = pd.read_csv(raw / F_REGISTER, dtype=str, keep_default_na=False)
    d["source_row"] = np.arange(2, len(d) + 2)  # line number in the file (header is line 1)
    d["asset"] = d["AssetCode"].str.extract(r"^(TMBC\d{4})")[0]
    assert d["asset"].notna().all() and d["asset"].is_unique, "AssetCode must start with a unique TMBCnnnn"
    d["postcode"] = d["PostCode"].map(norm_postcode)
    d["size"] = pd.to_numeric(d["BuildingSize"], errors="coerce")
    d["gx"] = pd.to_numeric(d["GeoX"], errors="coerce")
    d["gy"] = pd.to_numeric(d["GeoY"], errors="coerce")
    # Swapped coordinates (GeoX is longitude, GeoY latitude; Trafford is at ~-2.3, 53.4).
    swapped = (d["gx"] > 40) & (d["gy"] < 0)
    d["swapped"] = swapped
    d.loc[swapped, ["gx", "gy"]] = d.loc[swapped, ["gy", "gx"]].values
    return d


def load_points(raw: Path) -> pd.DataFrame:
    """All service points: service_id, point, postcode, lon, lat, address, extra."""
    rows = []
    lib = pd.read_csv(raw / F_LIBRARIES)
    for _, r in lib.iterrows():
        rows.append(("library", r["name"], r["postcode"], r["lon"], r["lat"], r["address"], r["type"], F_LIBRARIES))
    lei = pd.read_csv(raw / F_LEISURE)
    for _, r in lei.iterrows():
        rows.append(("leisure", r["name"], r["postcode"], r["lon"], r["lat"], r["address"], r["managed_by"], F_LEISURE))
    hub = pd.read_csv(raw / F_HUBS)
    for _, r in hub.iterrows():
        rows.append(("community_hub", r["community_hub"], r["postcode"], r["lon"], r["lat"], r["address"], "", F_HUBS))
    cc = pd.read_csv(raw / F_CHILDRENS)
    for _, r in cc.iterrows():
        rows.append(("childrens_centre", r["name"], r["postcode"], r["lon"], r["lat"], r["address"],
                     f"URN {r['unique_reference_number']}", F_CHILDRENS))
    jcp = pd.read_csv(raw / F_JOBCENTRES)
    for _, r in jcp.iterrows():
        rows.append(("jobcentre", r["name"], r["postcode"], r["lon"], r["lat"], r["address"], "", F_JOBCENTRES))
    p = pd.DataFrame(rows, columns=["service_id", "point", "postcode", "lon", "lat", "address", "extra", "source"])
    p["postcode"] = p["postcode"].map(norm_postcode)
    return p


def load_gp(raw: Path) -> pd.DataFrame:
    """26 practices (NHS ODS locations) joined to registered list sizes on name and postcode."""
    g = pd.read_csv(raw / F_GP)
    lst = pd.read_csv(raw / F_GP_LIST)
    m = g.merge(lst, left_on=["name", "postcode"], right_on=["practice_name", "practice_postcode"],
                how="left", validate="one_to_one")
    assert m["practice_code"].notna().all(), "every GP practice must have a list size"
    m = m.rename(columns={"name": "point"})
    m["service_id"] = "gp"
    m["postcode"] = m["postcode"].map(norm_postcode)
    m["source"] = F_GP
    return m[["service_id", "point", "postcode", "lon", "lat", "address", "practice_code",
              "registered_patients", "source"]]


def load_probation(raw: Path, area) -> tuple[pd.DataFrame, list]:
    """Greater Manchester probation offices; keep those inside Trafford's LSOA boundaries."""
    p = pd.read_csv(raw / F_PROBATION)
    inside = p.apply(lambda r: area.contains(Point(r["lon"], r["lat"])), axis=1)
    excluded = [(F_PROBATION, r["name"], r["name"], f"outside Trafford (in {r['area_name']}) by the LSOA 2021 boundaries")
                for _, r in p[~inside].iterrows()]
    keep = p[inside].copy()
    keep["postcode"] = keep["postcode"].map(norm_postcode)
    return keep, excluded


def load_hospitals(raw: Path) -> tuple[dict, list]:
    """OS OpenMap Local hospital outlines merged per hospital name (BNG areas and centroids)."""
    gj = json.loads((raw / F_HOSPITALS).read_text(encoding="utf-8"))
    by_name: dict[str, list] = {}
    excluded = []
    for f in gj["features"]:
        name = f["properties"]["DISTNAME"]
        if name.startswith("Priory Hospital"):
            excluded.append((F_HOSPITALS, f["properties"]["ID"], name,
                             "private hospital (The Priory Group), not public estate"))
            continue
        by_name.setdefault(name, []).append(f)
    out = {}
    for name, feats in sorted(by_name.items()):
        polys = [shapely_to_bng(shape(f["geometry"])) for f in feats]
        u = unary_union(polys)
        out[name] = {"footprint_m2": float(sum(p.area for p in polys)), "centroid": u.centroid,
                     "n": len(feats), "ids": sorted(f["properties"]["ID"] for f in feats)}
    return out, excluded


def shapely_to_bng(g):
    def fwd(xy):
        e, n = TO_BNG.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([e, n])
    return shapely.transform(g, fwd)


def load_fire_stations(raw: Path, cp: pd.DataFrame) -> list[dict]:
    """OS fire-station outlines; outlines within 50 m of each other are one station (appliance bay
    and accommodation blocks are drawn separately). Named by the nearest Code-Point postcode."""
    gj = json.loads((raw / F_FIRE).read_text(encoding="utf-8"))
    polys = [(f["properties"]["ID"], shapely_to_bng(shape(f["geometry"]))) for f in gj["features"]]
    # single-linkage clustering at 50 m
    parent = list(range(len(polys)))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i
    for i in range(len(polys)):
        for j in range(i + 1, len(polys)):
            if polys[i][1].distance(polys[j][1]) <= 50:
                parent[find(j)] = find(i)
    groups: dict[int, list] = {}
    for i in range(len(polys)):
        groups.setdefault(find(i), []).append(polys[i])
    stations = []
    for members in groups.values():
        u = unary_union([p for _, p in members])
        c = u.centroid
        d = np.hypot(cp["Eastings"] - c.x, cp["Northings"] - c.y)
        pc = d.idxmin()
        stations.append({"footprint_m2": float(sum(p.area for _, p in members)), "centroid": c,
                         "postcode": pc, "postcode_dist_m": float(d.min()),
                         "ids": sorted(i for i, _ in members)})
    stations.sort(key=lambda s: (locality(s["postcode"]), s["postcode"]))
    return stations


def load_zones(raw: Path) -> pd.DataFrame:
    pop = pd.read_csv(raw / F_POP)
    pop = pop[(pop["sex"] == "Persons") & (pop["geography"] == "LSOA")].copy()
    pop["aged_0_to_4"] = pop[[str(a) for a in range(5)]].sum(axis=1)
    cen = pd.read_csv(raw / F_CENTROIDS)
    z = pop.merge(cen, left_on="area_code", right_on="lsoa21cd", how="inner", validate="one_to_one")
    assert len(z) == len(pop) == len(cen) == 139, "139 Trafford LSOAs expected in both files"
    # the centroid file's populations are OA sums; they must equal the LSOA estimates
    assert (z["all_ages"] == z["population_mid2024"]).all(), "centroid file population != LSOA file"
    assert (z["area_name"] == z["lsoa21nm"]).all()
    assert (z["aged_0_to_15"] + z["aged_16_to_64"] + z["aged_65_and_over"] == z["all_ages"]).all()
    z = z.rename(columns={"area_code": "zone_id", "area_name": "name", "all_ages": "population"})
    z["lon"] = z["lon"].round(6)
    z["lat"] = z["lat"].round(6)
    return z[["zone_id", "name", "population", "aged_0_to_4", "aged_0_to_15", "aged_16_to_64",
              "aged_65_and_over", "lon", "lat"]].sort_values("zone_id").reset_index(drop=True)


# ==============================================================================================
# council register: scope, duplicates, locations, types
# ==============================================================================================
ANCILLARY = re.compile(r"toilet|shelter|store|garage|shed\b|container|dove cote", re.I)
ANCILLARY_KEEP = re.compile(r"clubhouse|changing|pavil|amenit|community build", re.I)


def classify_register_row(r, service_assets: set, area_tol) -> str | None:
    """Row-level scope. Returns the exclusion reason, or None if the row stays in scope.
    ``area_tol`` is Trafford with a ~150 m tolerance (points on the boundary stay in)."""
    name = r["PropertyName"]
    hosts = r["asset"] in service_assets
    if r["HoldingType"] == "Land":
        return "land-only holding (HoldingType 'Land')"
    if r["OtherDetail"] in ("School", "Academy") or (re.search(r"\bSchool\b", name) and not hosts):
        return "school: the education estate is out of scope"
    if r["OtherDetail"] == "Managed allotments":
        return "allotment building (sheds, stores, toilets)"
    if not pd.isna(r["gx"]) and not area_tol.contains(Point(r["gx"], r["gy"])):
        return "outside Trafford (investment property let out)" if r["TenureDetail"].lower() == "leasehold out" \
            else "outside Trafford"
    if r["TenureDetail"].lower() == "leasehold out" and not hosts:
        return "let out to a third party (TenureDetail 'Leasehold Out'): investment or let property, " \
               "not an operational public building"
    if r["OtherDetail"] == "Joint venture":
        return "joint-venture development holding, not an operational building"
    if re.search(r"no buildings", name, re.I):
        return "no building on the holding (name says 'No Buildings')"
    if re.search(r"caretaker", name, re.I):
        return "caretaker's flat (residential, ancillary)"
    if ANCILLARY.search(name) and not ANCILLARY_KEEP.search(name):
        return "ancillary toilet/shelter/store/garage only"
    if r["asset"] in REGISTER_EXCLUDE:
        return REGISTER_EXCLUDE[r["asset"]]
    return None


def name_stem(name: str) -> str:
    return re.split(r",|\(| - |-", name.lower())[0].strip()


def group_register(rows: pd.DataFrame) -> list[list[int]]:
    """Rows describing one building: same UPRN; or same name stem with equal-or-missing size and
    within 300 m (or no coordinates); or same coordinates and same size; or listed in
    REGISTER_SAME_BUILDING."""
    idx = list(rows.index)
    parent = {i: i for i in idx}

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i

    def union(i, j):
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    xy = {i: (bng(rows.at[i, "gx"], rows.at[i, "gy"]) if not pd.isna(rows.at[i, "gx"]) else None) for i in idx}
    for a_i, i in enumerate(idx):
        for j in idx[a_i + 1:]:
            ri, rj = rows.loc[i], rows.loc[j]
            si, sj = ri["size"], rj["size"]
            same_size = (not pd.isna(si)) and (not pd.isna(sj)) and si == sj
            size_ok = same_size or pd.isna(si) or pd.isna(sj)
            if xy[i] and xy[j]:
                dist = math.hypot(xy[i][0] - xy[j][0], xy[i][1] - xy[j][1])
            else:
                dist = None
            if ri["UPRN"] and ri["UPRN"] == rj["UPRN"]:
                union(i, j)
            elif name_stem(ri["PropertyName"]) == name_stem(rj["PropertyName"]) and size_ok and (dist is None or dist <= 300):
                union(i, j)
            elif dist is not None and dist < 1 and same_size:
                union(i, j)
    by_asset = {rows.at[i, "asset"]: i for i in idx}
    for a, b, _ in REGISTER_SAME_BUILDING:
        if a in by_asset and b in by_asset:
            union(by_asset[a], by_asset[b])
    groups: dict[int, list[int]] = {}
    for i in idx:
        groups.setdefault(find(i), []).append(i)
    return [sorted(g, key=lambda k: rows.at[k, "asset"]) for g in sorted(groups.values(), key=lambda g: min(rows.at[k, "asset"] for k in g))]


TYPE_RULES = [
    (r"town hall|waterside", "civic_office"),
    (r"crematorium|cemetery", "cemetery"),
    (r"leisure centre|sports barn", "leisure_centre"),
    (r"stadium|golf|water sports", "sports_facility"),
    (r"children'?s centre", "childrens_centre"),
    (r"children'?s home", "childrens_home"),
    (r"care home", "care_home"),
    (r"nursery", "day_nursery"),
    (r"youth centre", "youth_centre"),
    (r"library", "library"),
    (r"healthy living", "health_centre"),
    (r"park|playing fields|bowls|pavil|changing", "park_building"),
    (r"house", "office"),
    (r"centre", "community_centre"),
]


def register_site_type(asset: str, name: str, other_detail: str) -> str:
    if asset in REGISTER_TYPE:
        return REGISTER_TYPE[asset]
    if re.search(r"care home", name, re.I):
        return "care_home"
    if other_detail == "Commissioned service":
        return "commissioned_service"
    for pat, t in TYPE_RULES:
        if re.search(pat, name, re.I):
            return t
    return "council_other"


def build_register_sites(reg: pd.DataFrame, cp: pd.DataFrame, area, service_assets: set):
    """Returns (sites keyed by primary asset, asset -> site id, excluded rows, register stats)."""
    excluded = []
    # rows of the same building (UPRN) as a service building stay in scope even if let out
    svc_uprns = set(reg.loc[reg["asset"].isin(service_assets) & (reg["UPRN"] != ""), "UPRN"])
    service_assets = service_assets | set(reg.loc[reg["UPRN"].isin(svc_uprns), "asset"])
    area_tol = area.buffer(0.002)
    reason = {i: classify_register_row(reg.loc[i], service_assets, area_tol) for i in reg.index}
    for i, why in reason.items():
        if why:
            r = reg.loc[i]
            excluded.append((F_REGISTER, r["AssetCode"], r["PropertyName"], why))
    keep = reg[[reason[i] is None for i in reg.index]]
    sites: dict[str, Site] = {}
    asset_site: dict[str, str] = {}
    for g in group_register(keep):
        rows = keep.loc[g]
        # primary row: operational, located and sized first, then lowest asset number
        # (a let-out part of a service building is never the primary)
        order = rows.assign(_loc=rows["gx"].isna(), _size=rows["size"].isna(),
                            _let=rows["TenureDetail"].str.lower() == "leasehold out")
        order = order.sort_values(["_let", "_loc", "_size", "asset"])
        located = rows[rows["gx"].notna()]
        primary = order.iloc[0]
        sid = "TC-" + primary["asset"][4:]
        notes = []
        # location: register coordinates, else Code-Point centroid of a full postcode
        if len(located):
            lon, lat = float(primary["gx"]), float(primary["gy"])
            if primary["swapped"]:
                notes.append("register GeoX/GeoY were swapped (GeoX=53.46, GeoY=-2.37): fixed")
        else:
            pcs = [p for p in rows["postcode"] if is_full_postcode(p) and p in cp.index]
            if not pcs:
                for _, r in rows.iterrows():
                    excluded.append((F_REGISTER, r["AssetCode"], r["PropertyName"],
                                     f"no usable location: no coordinates and postcode '{r['PostCode']}' "
                                     "is only a district/sector" if not is_full_postcode(r["postcode"]) else
                                     "no usable location: no coordinates and postcode not in Code-Point Open"))
                continue
            e, n = cp.loc[pcs[0], ["Eastings", "Northings"]]
            lon, lat = wgs(float(e), float(n))
            notes.append(f"location from Code-Point Open centroid of {pcs[0]} (no register coordinates)")
        if not area.contains(Point(lon, lat)):
            notes.append(f"just outside the Trafford LSOA boundary (postcode {primary['postcode']}); kept as an "
                         "operational Trafford Council building")
        sizes = rows["size"].dropna()
        size = float(sizes.max()) if len(sizes) else float("nan")
        stype = register_site_type(primary["asset"], primary["PropertyName"], primary["OtherDetail"])
        hosts_service = any(a in service_assets for a in rows["asset"])
        if not hosts_service:
            if not pd.isna(size) and size < MIN_BUILDING_M2:
                for _, r in rows.iterrows():
                    excluded.append((F_REGISTER, r["AssetCode"], r["PropertyName"],
                                     f"building under {MIN_BUILDING_M2:.0f} m² ({size:g} m²)"))
                continue
            if pd.isna(size) and stype in ("park_building", "sports_facility", "cemetery"):
                for _, r in rows.iterrows():
                    excluded.append((F_REGISTER, r["AssetCode"], r["PropertyName"],
                                     "no floor area recorded for a park/sports building: size cannot be "
                                     f"checked against {MIN_BUILDING_M2:.0f} m²"))
                continue
        if len(rows) > 1:
            if len(set(sizes)) > 1:
                notes.append(f"{len(rows)} register rows for one building ({', '.join(rows['asset'])}); "
                             f"floor area = largest recorded ({size:g} m²) to avoid double counting "
                             f"(others {', '.join(f'{s:g}' for s in sorted(set(sizes)) if s != size)} m²)")
            else:
                notes.append(f"{len(rows)} register rows for one building ({', '.join(rows['asset'])}) merged; "
                             "floor area counted once")
            for _, r in rows.iterrows():
                if r["asset"] != primary["asset"]:
                    excluded.append((F_REGISTER, r["AssetCode"], r["PropertyName"],
                                     f"merged into {sid} (same building as {primary['asset']})"))
        # 'Leasehold In' detail or a 'Leasehold' tenure type: the council holds a lease
        leasehold = primary["TenureDetail"].lower() == "leasehold in" or primary["TenureType"] == "Leasehold"
        s = Site(site_id=sid, name=REGISTER_NAME.get(primary["asset"], clean_name(primary["PropertyName"])),
                 owner="Trafford Council",
                 owner_type="council", site_type=stype, lon=lon, lat=lat, floor_area_m2=size,
                 area_note="register BuildingSize (GIA)" if not pd.isna(size) else "",
                 tenure="leasehold" if leasehold else "freehold", source=F_REGISTER)
        if leasehold:
            s.sellable = False
            s.sell_note = "the council holds a lease (register tenure)"
        tds = sorted(set(rows["TenureDetail"]))
        notes.insert(0, f"register {primary['AssetCode']} '{clean_name(primary['PropertyName'])}': "
                        f"{primary['TenureType']} / {', '.join(tds)}"
                        + (f" ({primary['OtherDetail']})" if primary["OtherDetail"] else ""))
        s.notes = notes
        sites[sid] = s
        for a in rows["asset"]:
            asset_site[a] = sid
    # say where an excluded row shares a UPRN with a kept site (e.g. a let-out part of it)
    uprn_site = {reg.at[i, "UPRN"]: asset_site[reg.at[i, "asset"]] for i in reg.index
                 if reg.at[i, "UPRN"] and reg.at[i, "asset"] in asset_site}
    code_uprn = dict(zip(reg["AssetCode"], reg["UPRN"]))
    excluded = [(f, c, n, why + (f"; same UPRN as site {uprn_site[code_uprn[c]]}"
                                 if f == F_REGISTER and code_uprn.get(c) in uprn_site and not why.startswith("merged")
                                 else "")) for f, c, n, why in excluded]
    return sites, asset_site, excluded


def clean_name(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip()


# ==============================================================================================
# assemble
# ==============================================================================================
def derived_typical_sizes(reg: pd.DataFrame) -> dict:
    def med(assets):
        v = reg.set_index("asset").loc[assets, "size"].dropna()
        return float(v.median()), len(v)
    lib, nl = med(LIBRARY_ASSETS)
    lei, nle = med(LEISURE_ASSETS)
    com, nc = med(COMMUNITY_CENTRE_ASSETS)
    return {"library_m2": (lib, nl), "leisure_m2": (lei, nle), "community_centre_m2": (com, nc)}


def assemble(raw: Path):
    cp = load_codepoint(raw)
    features = load_boundaries(raw)
    area = trafford_area(features)
    eric_med, _, eric_own = load_eric(raw)
    reg = load_register(raw)
    points = load_points(raw)
    gps = load_gp(raw)
    prob, excluded_prob = load_probation(raw, area)
    hospitals, excluded_hosp = load_hospitals(raw)
    fire = load_fire_stations(raw, cp)
    zones = load_zones(raw)
    typical = derived_typical_sizes(reg)

    A = {k: v[0] for k, v in ASSUMED.items()}
    derived = {
        "eric_running_cost_gbp_per_m2": eric_med["running_median"],
        "eric_backlog_gbp_per_m2": eric_med["backlog_median"],
        "eric_electricity_kwh_per_m2": eric_med["kwh_per_m2"]["electricity"],
        "eric_gas_kwh_per_m2": eric_med["kwh_per_m2"]["gas"],
        "library_typical_m2": typical["library_m2"][0],
        "leisure_centre_typical_m2": typical["leisure_m2"][0],
        "community_centre_typical_m2": typical["community_centre_m2"][0],
    }

    service_assets = {a for a, _ in IN_REGISTER_BUILDING.values()}
    sites, asset_site, excluded = build_register_sites(reg, cp, area, service_assets)
    excluded += excluded_prob + excluded_hosp

    # council buildings of unknown size: the median register building in scope (derived)
    known = [s.floor_area_m2 for s in sites.values() if not math.isnan(s.floor_area_m2)]
    derived["council_building_median_m2"] = float(np.median(known))

    # --- service points in register buildings ------------------------------------------------
    gp_by_name = gps.set_index("point")
    all_points = pd.concat([points, gps.drop(columns=["practice_code", "registered_patients"])], ignore_index=True)
    placed = set()
    for (svc, pname), (asset, why) in IN_REGISTER_BUILDING.items():
        sid = asset_site[asset]
        site = sites[sid]
        site.hosts.append((svc, pname))
        site.notes.append(f"hosts {svc} '{pname}' ({why})")
        placed.add((svc, pname))

    match_report(all_points, reg, asset_site, sites)

    # --- service points sharing a non-register building -----------------------------------
    for sid, (name, pts, why) in SHARED_BUILDINGS.items():
        rows = [all_points[(all_points.service_id == s) & (all_points.point == p)].iloc[0] for s, p in pts]
        lon = float(np.mean([r["lon"] for r in rows]))
        lat = float(np.mean([r["lat"] for r in rows]))
        st = "gp_practice" if all(s == "gp" for s, _ in pts) else "health_centre"
        site = Site(site_id=sid, name=name, owner="", owner_type="nhs", site_type=st, lon=lon, lat=lat,
                    source=rows[0]["source"])
        site.notes.append(f"one building: {why}")
        for s, p in pts:
            site.hosts.append((s, p))
            placed.add((s, p))
        sites[sid] = site
    lime = sites["GP-P91020"]
    lime.owner, lime.owner_type, lime.tenure = "Limelight (third party)", "other", "leasehold"
    lime.notes.append("not in the council register")
    lime.sellable, lime.sell_note = False, "not owned by a public body in the registers used (council library and GP are occupiers)"

    # --- remaining service points: one site each -------------------------------------------
    for _, r in all_points.sort_values(["service_id", "point"]).iterrows():
        key = (r["service_id"], r["point"])
        if key in placed:
            continue
        if key in EXCLUDED_POINTS:
            excluded.append((r["source"], r["point"], r["point"], EXCLUDED_POINTS[key]))
            continue
        sites_new = point_site(r, gp_by_name)
        assert sites_new.site_id not in sites, sites_new.site_id
        sites[sites_new.site_id] = sites_new
    for new in probation_sites(prob) + hospital_sites(hospitals, eric_own, A) + fire_sites(fire, A):
        assert new.site_id not in sites, new.site_id
        sites[new.site_id] = new

    # --- flags and figures per site ------------------------------------------------------------
    for sid, s in sites.items():
        finish_site(s, A, derived, gp_by_name)
    # A building wholly in a use the model does not cover (parks, sports grounds, commissioned
    # services, a nursery) with no room for a modelled service gives the model nothing to decide:
    # disposing it would only drop a use the model cannot see. It stays, and says why.
    for sid in sorted(sites):
        s = sites[sid]
        if s.site_type in OUT_OF_SCOPE_TYPES and not s.hosts and not s.must_retain:
            s.must_retain, s.retain_note = True, (f"{s.site_type.replace('_', ' ')}: its use is not a modelled "
                                                  "service and it has no room for one, so the model cannot judge "
                                                  "its disposal")
    occupation = allocate_occupation(sites, A, derived, gp_by_name)
    return sites, occupation, zones, features, excluded, eric_med, derived, typical, hospitals, fire, reg, A


OUT_OF_SCOPE_TYPES = ("park_building", "sports_facility", "commissioned_service", "day_nursery")


def probation_sites(prob: pd.DataFrame) -> list[Site]:
    """Probation offices inside Trafford (HMPPS): one site each, 'PROB-<locality>'."""
    out = []
    for _, r in prob.sort_values("name").iterrows():
        s = Site(site_id="PROB-" + slug(locality(r["postcode"])), name=r["name"],
                 owner="HM Prison and Probation Service (Ministry of Justice)", owner_type="central_government",
                 site_type="probation_office", lon=float(r["lon"]), lat=float(r["lat"]), source=F_PROBATION)
        s.notes.append(f"{r['address']}, {r['postcode']} ({r['type']}); inside Trafford by the LSOA boundaries")
        s.hosts.append(("probation", r["name"]))
        out.append(s)
    return out


def hospital_sites(hospitals: dict, eric_own: dict, A: dict) -> list[Site]:
    """Trafford General (ERIC RW3TR), the GMMH unit on its campus (ERIC RXV80, kept separate: another
    trust with its own return) and Altrincham Hospital (OS footprint x assumed storeys)."""
    out = []
    tgh = hospitals["Trafford General Hospital"]
    lon, lat = wgs(tgh["centroid"].x, tgh["centroid"].y)
    for code in ERIC_TRAFFORD_SITES:
        e = eric_own[code]
        if code == "RW3TR":
            s = Site(site_id="NHS-RW3TR", name="Trafford General Hospital",
                     owner="Manchester University NHS Foundation Trust",
                     owner_type="nhs", site_type="hospital", lon=lon, lat=lat, source=F_ERIC)
            s.notes.append("ERIC 2016-17 trust: " + e["org"].title().replace("Nhs", "NHS") + " (now part of MFT)")
            s.notes.append(f"location: centroid of the {tgh['n']} OS OpenMap Local outlines named Trafford General "
                           f"Hospital (footprint {tgh['footprint_m2']:.0f} m², which also covers the GMMH unit NHS-RXV80)")
        else:
            s = Site(site_id="NHS-RXV80", name="GMMH mental health unit, Trafford General Hospital site",
                     owner=e["org"].title().replace("Nhs", "NHS"), owner_type="nhs", site_type="hospital", lon=lon, lat=lat, source=F_ERIC)
            s.notes.append(f"ERIC 2016-17 site RXV80 '{e['site_name']}' ({e['site_type']})")
            s.notes.append("kept separate from NHS-RW3TR: different trust, own ERIC return (costs, backlog, "
                           "area); located at the Trafford General campus centroid (its own outline is not "
                           "identified in OS data)")
        s.floor_area_m2 = e["gia"]
        s.area_note = f"ERIC 2016-17 {code} GIA"
        s.other_use_m2 = e["occupied"] * (1 - e["empty_pct"] / 100.0)
        s.other_use_note = (f"other use = ERIC occupied area {e['occupied']:.0f} m² × (1 - {e['empty_pct']:g}% empty); "
                            "the rest is empty space")
        s.running_cost_gbp, s.backlog_gbp, s.energy_kwh = e["running"], e["backlog"], e["kwh"]
        s.cost_note = f"running cost, backlog and energy use (for carbon): ERIC 2016-17 {code} own figures"
        s.must_retain, s.retain_note = True, ("inpatient/acute" if code == "RW3TR" else "inpatient mental-health") + \
            " care is not modelled and cannot move"
        out.append(s)
    alt = hospitals["Altrincham Hospital"]
    lon, lat = wgs(alt["centroid"].x, alt["centroid"].y)
    s = Site(site_id="NHS-ALTRINCHAM-HOSPITAL", name="Altrincham Hospital",
             owner="Manchester University NHS Foundation Trust", owner_type="nhs",
             site_type="hospital", lon=lon, lat=lat, source=F_HOSPITALS)
    s.notes.append("MFT services; the landlord is not in open data")
    s.floor_area_m2 = alt["footprint_m2"] * A["hospital_storeys_altrincham"]
    s.area_note = (f"OS footprint {alt['footprint_m2']:.0f} m² × {A['hospital_storeys_altrincham']:g} storeys "
                   "(hospital_storeys_altrincham)")
    s.other_use_m2 = s.floor_area_m2 * A["dedicated_building_other_use_share"]
    s.other_use_note = "other use = whole building (outpatient/diagnostic care not modelled; not in ERIC, spare unknown)"
    s.must_retain, s.retain_note = True, "hospital outpatient and diagnostic care is not modelled and cannot move"
    out.append(s)
    return out


def fire_sites(fire: list[dict], A: dict) -> list[Site]:
    """GMFRS fire stations: floor area = OS footprint x assumed storeys; must stay (fire cover not modelled)."""
    out = []
    for k, st in enumerate(fire, start=1):
        lon, lat = wgs(st["centroid"].x, st["centroid"].y)
        s = Site(site_id=f"FIRE-{k}", name=f"Fire station, {locality(st['postcode'])} ({st['postcode']})",
                 owner="Greater Manchester Fire and Rescue Service", owner_type="fire", site_type="fire_station",
                 lon=lon, lat=lat, source=F_FIRE)
        s.floor_area_m2 = st["footprint_m2"] * A["fire_station_storeys"]
        s.area_note = (f"OS footprint {st['footprint_m2']:.0f} m² ({len(st['ids'])} outlines) × "
                       f"{A['fire_station_storeys']:g} storeys (fire_station_storeys)")
        s.must_retain, s.retain_note = True, "fire cover is not modelled; the station must stay where it is"
        s.notes.append(f"OS name 'Unknown'; named by nearest Code-Point postcode {st['postcode']} "
                       f"({st['postcode_dist_m']:.0f} m)")
        out.append(s)
    return out


def match_report(all_points: pd.DataFrame, reg: pd.DataFrame, asset_site: dict, sites: dict) -> None:
    """Print distance and postcode agreement for every service point placed in a register building."""
    print("== Service points placed in council-register buildings ==")
    pcs = reg.groupby(reg["asset"].map(asset_site))["postcode"].apply(set).to_dict()
    for (svc, pname), (asset, _) in sorted(IN_REGISTER_BUILDING.items()):
        r = all_points[(all_points.service_id == svc) & (all_points.point == pname)].iloc[0]
        sid = asset_site[asset]
        st = sites[sid]
        e1, n1 = bng(r["lon"], r["lat"])
        e2, n2 = bng(st.lon, st.lat)
        same_pc = r["postcode"] in pcs.get(sid, set())
        print(f"  {svc:16s} {pname[:42]:42s} -> {sid:8s} {math.hypot(e1 - e2, n1 - n2):5.0f} m  "
              f"{'same postcode' if same_pc else 'postcode differs'}")


NOT_IN_REGISTER = ("not in the council's land and building register: ownership not verified, so no sale value "
                   "is assumed (tenure: freehold default)")


def point_site(r, gp_by_name) -> Site:
    """A service point that is in no register building and shares no building with another."""
    svc, pname, pc = r["service_id"], r["point"], r["postcode"]
    lon, lat = float(r["lon"]), float(r["lat"])
    if svc == "gp":
        code = gp_by_name.loc[pname, "practice_code"]
        s = Site(f"GP-{code}", pname, "", "nhs", "gp_practice", lon, lat, source=F_GP)
    elif svc == "library":
        s = Site("LIB-" + slug(pname.replace(" Library", "")), pname, "Trafford Council", "council",
                 "library", lon, lat, sellable=False, sell_note=NOT_IN_REGISTER, source=F_LIBRARIES)
        s.notes.append("council is the operator; the building is not in the council's asset register")
    elif svc == "leisure":
        if "Talbot" in pname:
            s = Site("LEIS-TALBOT-CENTRE", pname, "Trafford Council", "council",
                     "leisure_centre", lon, lat, sellable=False,
                     sell_note="on a school site (register TMBC0362, school): not separately disposable", source=F_LEISURE)
            s.notes.append("on the Stretford High School site")
        else:
            s = Site("LEIS-" + slug(pname), pname, "Trafford Council", "council", "leisure_centre", lon, lat,
                     sellable=False, sell_note=NOT_IN_REGISTER, source=F_LEISURE)
            s.notes.append("operated by Trafford Leisure CIC; building not identified in the asset register")
            s.notes.append("the register holding 'Altair' (TMBC0148, let out) shares its postcode 177 m away but is the "
                           "adjacent mixed-use development site, not the leisure centre")
    elif svc == "community_hub":
        s = Site("HUB-" + slug(pname), f"{pname} community hub ({r['address'].split(',')[0]})",
                 "Voluntary and community sector", "other",
                 "community_centre", lon, lat, tenure="leasehold", sellable=False,
                 sell_note="third-party community building used for a council-commissioned hub", source=F_HUBS)
        s.notes.append("building of " + r["address"].split(",")[0] + " (voluntary/community organisation)")
    elif svc == "jobcentre":
        s = Site("JCP-" + slug(pname), f"{pname} Jobcentre Plus", "Department for Work and Pensions",
                 "central_government", "jobcentre", lon, lat, source=F_JOBCENTRES)
        if "Stretford Mall" in r["address"]:
            s.tenure, s.sellable = "leasehold", False
            s.sell_note = "a unit in Stretford Mall, which the council owns and lets out (register TMBC0129)"
        else:
            s.notes.append("tenure not published: freehold assumed (default)")
    else:
        raise ValueError(f"no site rule for {svc} {pname}")
    s.notes.append(f"{r['address']}, {pc}")
    s.hosts.append((svc, pname))
    return s


def finish_site(s: Site, A: dict, derived: dict, gp_by_name) -> None:
    """Floor area (imputed where missing), other use, costs, disposal, flags."""
    gp_points = [p for svc, p in s.hosts if svc == "gp"]
    if gp_points:
        codes = [gp_by_name.loc[p, "practice_code"] for p in gp_points]
        patients = sum(int(gp_by_name.loc[p, "registered_patients"]) for p in gp_points)
        s.notes.append(f"GP registered patients {patients:,} ({', '.join(codes)})")
        if s.owner == "":
            # one organisation for every GP premises, so per-owner figures read as a board expects
            s.owner = "NHS primary care (GP practices)"
            s.notes.append("GP premises of " + "; ".join(gp_points) + "; landlord not in open data")
            s.notes.append("tenure not published: freehold assumed (default)")
    imputed = []
    if math.isnan(s.floor_area_m2):
        parts = []
        for svc, p in s.hosts:
            m2, src = service_request(svc, p, A, derived, gp_by_name)
            parts.append((m2, src))
        if not parts:
            s.floor_area_m2 = derived["council_building_median_m2"]
            imputed.append("floor area imputed (council_building_median_m2)")
        else:
            s.floor_area_m2 = sum(m for m, _ in parts)
            imputed.append("floor area imputed (" + " + ".join(src for _, src in parts) + ")")
        s.area_note = ""
    elif s.site_id.startswith("TC-") and s.site_id.replace("TC-", "TMBC") in REGISTER_AREA_EXCLUDES:
        svc_x, why = REGISTER_AREA_EXCLUDES[s.site_id.replace("TC-", "TMBC")]
        add = sum(service_request(svc, p, A, derived, gp_by_name)[0] for svc, p in s.hosts if svc == svc_x)
        s.floor_area_m2 += add
        imputed.append(f"floor area = register + {add:.0f} m² imputed for {svc_x} (gp_m2_per_patient): {why}")
    # other use
    if s.other_use_m2 is None:
        rule = OTHER_USE_RULE.get(s.site_type)
        share = A[rule] if rule else 0.0
        s.other_use_m2 = s.floor_area_m2 * share
        if rule:
            s.other_use_note = f"other use {share:.0%} of area ({rule})"
    # costs: ERIC national medians unless the site has its own ERIC return
    if s.running_cost_gbp is None:
        s.running_cost_gbp = s.floor_area_m2 * derived["eric_running_cost_gbp_per_m2"]
        s.backlog_gbp = s.floor_area_m2 * derived["eric_backlog_gbp_per_m2"]
        s.energy_kwh = {k: s.floor_area_m2 * derived[f"eric_{k}_kwh_per_m2"] for k in ERIC_ENERGY}
        s.cost_note = ("running cost, backlog and energy use (for carbon): ERIC national medians per m² "
                       "(eric_running_cost_gbp_per_m2, eric_backlog_gbp_per_m2, eric_electricity_kwh_per_m2, "
                       "eric_gas_kwh_per_m2)")
    # disposal
    if s.site_type in ("park_building", "cemetery"):
        s.sellable = False
        s.sell_note = "inside a public park/cemetery (open_space_building_disposal_value_gbp)"
    if s.tenure == "leasehold" and s.sellable:
        s.sellable = False
        s.sell_note = "leasehold (leasehold_disposal_value_gbp)"
    # must_retain, never without a reason (hospitals and fire stations are set where they are built)
    if s.site_type == "cemetery":
        s.must_retain, s.retain_note = True, ("bereavement service (burials/cremations) is tied to the cemetery "
                                              "and not modelled")
    if s.site_id == "TC-0008":
        s.must_retain, s.retain_note = True, "Trafford Town Hall is the council's civic HQ (chamber, offices)"
    elif s.site_type in ("civic_office", "office"):
        s.must_retain, s.retain_note = True, ("council office/civic accommodation is not modelled as a service; "
                                              "disposing the building would leave its staff and civic uses "
                                              "without a home")
    if s.site_type in ("care_home", "childrens_home"):
        s.must_retain, s.retain_note = True, "residential care: people live here; re-provision is not modelled"
    home = [svc for svc, types in HOME_TYPES.items() if s.site_type in types and svc != "community_hub"]
    if home and not s.hosts and s.owner_type == "council":
        s.notes.append(f"{s.site_type} building not in the current list of {home[0]} service points: no {home[0]} "
                       "service modelled here today (space available)")
    s.notes[:0] = imputed


def service_request(svc: str, point: str, A: dict, derived: dict, gp_by_name) -> tuple[float, str]:
    """Space a service point needs where it shares a building or the building size is unknown."""
    if svc == "gp":
        p = int(gp_by_name.loc[point, "registered_patients"])
        return p * A["gp_m2_per_patient"], f"{p:,} patients × gp_m2_per_patient"
    if svc == "library":
        return derived["library_typical_m2"], "library_typical_m2"
    if svc == "leisure":
        return derived["leisure_centre_typical_m2"], "leisure_centre_typical_m2"
    if svc == "community_hub":
        return derived["community_centre_typical_m2"], "community_centre_typical_m2"
    if svc == "childrens_centre":
        return derived["community_centre_typical_m2"], "community_centre_typical_m2"
    if svc == "jobcentre":
        return A["jobcentre_m2"], "jobcentre_m2"
    if svc == "probation":
        return A["probation_office_m2"], "probation_office_m2"
    raise ValueError(svc)


# The building type a service normally has to itself: there it occupies all space not in other use.
HOME_TYPES = {
    "gp": ("gp_practice",), "library": ("library",), "leisure": ("leisure_centre",),
    "community_hub": ("community_centre", "youth_centre"), "childrens_centre": ("childrens_centre",),
    "jobcentre": ("jobcentre",), "probation": ("probation_office",),
}


def allocate_occupation(sites: dict, A: dict, derived: dict, gp_by_name) -> pd.DataFrame:
    """Floor area each hosted service occupies today.

    A service alone in a building of its own type: all the space not in other use. Otherwise (shared
    building, or a service inside e.g. a town hall): each service point's typical size
    (service_request), scaled down pro rata if they exceed the space not in other use.
    """
    rows = []
    for sid, s in sorted(sites.items()):
        if not s.hosts:
            continue
        avail = s.floor_area_m2 - s.other_use_m2
        svcs = sorted({svc for svc, _ in s.hosts})
        if len(svcs) == 1 and s.site_type in HOME_TYPES[svcs[0]]:
            rows.append((sid, svcs[0], avail))
            s.notes.append(f"{svcs[0]} occupies all {avail:.0f} m² not in other use")
            continue
        req = {svc: 0.0 for svc in svcs}
        for svc, p in s.hosts:
            req[svc] += service_request(svc, p, A, derived, gp_by_name)[0]
        total = sum(req.values())
        scale = min(1.0, avail / total)
        for svc in svcs:
            rows.append((sid, svc, req[svc] * scale))
        s.notes.append(("shared building" if len(svcs) > 1 else f"{svcs[0]} in a {s.site_type}") + ": typical size per service point" +
                       (f", scaled ×{scale:.2f} to fit {avail:.0f} m²" if scale < 1 else
                        f"; {avail - total:.0f} m² of {avail:.0f} m² not in other use is spare"))
    occ = pd.DataFrame(rows, columns=["site_id", "service_id", "floor_area_m2"])
    return occ.sort_values(["site_id", "service_id"]).reset_index(drop=True)


# ==============================================================================================
# outputs
# ==============================================================================================
def fmt(x, nd: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    v = round(float(x), nd)
    if v == 0:
        v = 0.0  # no '-0'
    return f"{v:.{nd}f}"


def location_cols(lon: float, lat: float) -> dict:
    lon6, lat6 = round(lon, 6), round(lat, 6)
    e, n = bng(lon6, lat6)
    return {"easting": f"{round(e):d}", "northing": f"{round(n):d}", "lon": f"{lon6:.6f}", "lat": f"{lat6:.6f}"}


def sites_frame(sites: dict, occupation: pd.DataFrame, A: dict) -> pd.DataFrame:
    hosted = occupation.groupby("site_id")["service_id"].apply(lambda s: set(s)).to_dict()
    out = []
    for sid in sorted(sites):
        s = sites[sid]
        can = set(filter(None, CAN_HOST[s.site_type].split(";"))) | hosted.get(sid, set())
        order = [x[0] for x in SERVICES]
        can_host = ";".join(x for x in order if x in can)
        value = s.floor_area_m2 * A["disposal_value_gbp_per_m2"] if s.sellable else 0.0
        cost = value * A["disposal_cost_share"]
        notes = list(s.notes)
        if s.area_note:
            notes.insert(0, "floor area: " + s.area_note)
        if s.other_use_note:
            notes.append(s.other_use_note)
        notes.append(s.cost_note)
        notes.append("disposal value: " + ("freehold × disposal_value_gbp_per_m2" if s.sellable else "0, " + s.sell_note))
        if s.must_retain:
            notes.append("must_retain: " + s.retain_note)
        if s.tenure == "leasehold":
            notes.append("lease_end unknown (not published)")
        row = {
            "site_id": sid, "name": s.name, "owner": s.owner, "owner_type": s.owner_type,
            "site_type": s.site_type, "floor_area_m2": fmt(s.floor_area_m2, 1),
            "other_use_m2": fmt(min(s.other_use_m2, s.floor_area_m2), 1),
            "running_cost_gbp": fmt(s.running_cost_gbp, 0), "backlog_gbp": fmt(s.backlog_gbp, 0),
            "carbon_tco2e_per_yr": fmt(sum(s.energy_kwh[k] * GHG_FACTORS[k] for k in ERIC_ENERGY) / 1000, 1),
            "disposal_value_gbp": fmt(value, 0), "disposal_cost_gbp": fmt(cost, 0),
            "tenure": s.tenure, "lease_end": "", "must_retain": "true" if s.must_retain else "false",
            "must_dispose": "false", "can_host": can_host, "notes": "; ".join(n for n in notes if n),
        }
        row.update(location_cols(s.lon, s.lat))
        out.append(row)
    return pd.DataFrame(out)


def services_frame(occupation: pd.DataFrame, zones: pd.DataFrame, A: dict) -> pd.DataFrame:
    rows = []
    for sid, name, basis, unit, incompatible in SERVICES:
        space = occupation.loc[occupation.service_id == sid, "floor_area_m2"].sum()
        smallest = occupation.loc[occupation.service_id == sid, "floor_area_m2"].min()
        demand = zones[basis].sum()
        rows.append({
            # rounded *down* (10 dp) so that today's estate always fits the standard exactly
            "service_id": sid, "name": name, "space_m2_per_unit": f"{math.floor(space / demand * 1e10) / 1e10:.10f}",
            "max_travel_min": fmt(TRAVEL_STANDARD_MIN[sid], 0), "required_share": "1.0",
            "catchment_max_min": "",
            # no service point smaller than a set share of the smallest one today (rounded down)
            "min_site_m2": fmt(math.floor(smallest * A["min_service_point_share"] * 10) / 10, 1),
            "move_cost_gbp_per_m2": fmt(A["move_cost_gp_gbp_per_m2"] if sid == "gp" else A["move_cost_gbp_per_m2"], 0),
            "incompatible_with": incompatible, "demand_basis": basis, "demand_rate": "1.0", "demand_unit": unit,
        })
    return pd.DataFrame(rows)


def zones_frame(zones: pd.DataFrame) -> pd.DataFrame:
    z = zones.copy()
    loc = pd.DataFrame([location_cols(a, b) for a, b in zip(z["lon"], z["lat"])])
    z = z.drop(columns=["lon", "lat"]).reset_index(drop=True)
    for c in ["population", "aged_0_to_4", "aged_0_to_15", "aged_16_to_64", "aged_65_and_over"]:
        z[c] = z[c].astype(int).astype(str)
    return pd.concat([z, loc], axis=1)


def write_geojson(features: list[dict], path: Path) -> None:
    def rnd(c):
        if isinstance(c, (list, tuple)):
            if c and isinstance(c[0], (int, float)):
                return [round(float(v), 6) for v in c]
            return [rnd(x) for x in c]
        return c
    feats = []
    for f in sorted(features, key=lambda f: f["properties"]["area_code"]):
        g = f["geometry"]
        feats.append({"type": "Feature",
                      "properties": {"zone_id": f["properties"]["area_code"], "name": f["properties"]["area_name"]},
                      "geometry": {"type": g["type"], "coordinates": rnd(g["coordinates"])}})
    gj = {"type": "FeatureCollection", "name": "trafford_lsoa21_zones",
          "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, "features": feats}
    path.write_text(json.dumps(gj, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def assumptions_frame(A: dict, derived: dict, eric_med: dict, typical: dict) -> pd.DataFrame:
    rows = []
    for k, (v, unit, applies, why) in ASSUMED.items():
        rows.append((k, FIGURE_NAMES[k], v, unit, applies, why, "assumption"))
    for svc, m in TRAVEL_STANDARD_MIN.items():
        start = TRAVEL_STANDARD_START[svc]
        why = ("Policy standard (a board sets it), assuming straight line × travel_detour_factor at travel_speed_kmh"
               + ("" if m == start else f"; raised from {start} so that today's estate meets it"))
        rows.append((f"max_travel_min_{svc}", f"travel standard {svc}", m, "minutes", f"services.csv {svc}", why, "assumption"))
    rows.append(("required_share", "required share of demand within the standard", 1.0, "0..1", "services.csv all",
                 "Every zone's demand must be served within the standard (policy default).", "assumption"))
    rows.append(("default_tenure", "tenure where none is published", "freehold", "", "NHS, DWP, HMPPS, GMFRS sites "
                 "and council services missing from the register", "Tenure is not published for these buildings; "
                 "freehold is assumed unless the data say otherwise (Stretford JCP is a unit in a council-owned mall: "
                 "leasehold). lease_end is blank everywhere: no lease dates are published.", "assumption"))
    rows += [
        ("eric_running_cost_gbp_per_m2", "ERIC national median running cost per m²", round(derived["eric_running_cost_gbp_per_m2"], 2),
         "£ per m² GIA per year", "running_cost_gbp of every site without its own ERIC return",
         f"NHS Digital ERIC 2016-17 site level: median over the {eric_med['running_n']} individual sites (of "
         f"{eric_med['n_sites']} rows) with a floor area, of the sum of: " + ", ".join(ERIC_RUNNING) +
         f" ('Not Applicable' = £0: the cost does not arise there), divided by GIA (IQR £{eric_med['running_q1']:.0f}-"
         f"{eric_med['running_q3']:.0f}). 2016-17 prices; hospital-based, so likely high for offices and libraries. "
         f"Over only the {eric_med['running_n_strict']} sites reporting every column it is "
         f"£{eric_med['running_median_strict']:.2f}.", "derived"),
        ("eric_backlog_gbp_per_m2", "ERIC national median backlog per m²", round(derived["eric_backlog_gbp_per_m2"], 2),
         "£ per m² GIA", "backlog_gbp of every site without its own ERIC return",
         f"NHS Digital ERIC 2016-17 site level: median over the {eric_med['backlog_n']} individual sites with a floor "
         f"area of the four backlog risk bands (high, significant, moderate, low; 'Not Applicable' = £0) summed and "
         f"divided by GIA. Over only the {eric_med['backlog_n_strict']} sites reporting all four bands it is "
         f"£{eric_med['backlog_median_strict']:.2f}.", "derived"),
        ("eric_electricity_kwh_per_m2", "ERIC national median electricity use per m²",
         round(derived["eric_electricity_kwh_per_m2"], 1), "kWh per m² GIA per year",
         "carbon_tco2e_per_yr of every site without its own ERIC return",
         "NHS Digital ERIC 2016-17 site level: median over individual sites with a floor area of 'Electricity "
         "consumed (kWh)' ÷ GIA ('Not Applicable' = 0).", "derived"),
        ("eric_gas_kwh_per_m2", "ERIC national median gas use per m²", round(derived["eric_gas_kwh_per_m2"], 1),
         "kWh per m² GIA per year", "carbon_tco2e_per_yr of every site without its own ERIC return",
         "NHS Digital ERIC 2016-17 site level: median over individual sites with a floor area of 'Gas consumed "
         "(kWh)' ÷ GIA ('Not Applicable' = 0). Oil, coal and steam are left out (rare outside hospitals).",
         "derived"),
        ("ghg_electricity_kg_per_kwh", "carbon factor, UK grid electricity", GHG_FACTORS["electricity"],
         "kg CO2e per kWh", "carbon_tco2e_per_yr", "DESNZ, Greenhouse gas reporting: conversion factors 2024 "
         "(UK electricity, generation). A published figure quoted here; the factors file is not in data/raw.",
         "published"),
        ("ghg_gas_kg_per_kwh", "carbon factor, natural gas", GHG_FACTORS["gas"], "kg CO2e per kWh",
         "carbon_tco2e_per_yr", "DESNZ, Greenhouse gas reporting: conversion factors 2024 (natural gas, gross "
         "calorific value). A published figure quoted here; the factors file is not in data/raw.", "published"),
        ("library_typical_m2", "typical library size", round(derived["library_typical_m2"], 1), "m² GIA",
         "library space in shared buildings; library floor area where unknown",
         f"Median BuildingSize of the {typical['library_m2'][1]} current libraries with a size in the council register ("
         + ", ".join(LIBRARY_ASSETS) + ").", "derived"),
        ("leisure_centre_typical_m2", "typical leisure centre size", round(derived["leisure_centre_typical_m2"], 1), "m² GIA",
         "leisure centres not in the register (floor area)",
         f"Median BuildingSize of the {typical['leisure_m2'][1]} leisure centres in the council register ("
         + ", ".join(LEISURE_ASSETS) + ").", "derived"),
        ("community_centre_typical_m2", "typical community centre size", round(derived["community_centre_typical_m2"], 1), "m² GIA",
         "community hubs in third-party buildings (floor area)",
         f"Median BuildingSize of the {typical['community_centre_m2'][1]} community centres in the council register ("
         + ", ".join(COMMUNITY_CENTRE_ASSETS) + ").", "derived"),
        ("council_building_median_m2", "median council building size", round(derived["council_building_median_m2"], 1), "m² GIA",
         "operational council buildings with no BuildingSize and no modelled service (floor area)",
         "Median floor area of the council-register sites in scope that have a BuildingSize.", "derived"),
        ("eric_hospital_other_use", "hospital space in (unmodelled) hospital use", "see sites.csv", "m² GIA",
         "NHS-RW3TR, NHS-RXV80 other_use_m2",
         "ERIC 2016-17 occupied floor area × (1 - 'Floor area - empty (%)'); the remainder of the GIA is spare.",
         "derived"),
        ("fire_station_names", "fire station names", "see sites.csv", "", "FIRE-n names",
         "OS names are 'Unknown'; each station is named by the Code-Point Open postcode nearest its outline centroid "
         "and the locality of that postcode district. Outlines within 50 m are one station.", "derived"),
        ("space_m2_per_unit", "space standard per unit of demand", "see services.csv", "m² per unit",
         "services.csv space_m2_per_unit",
         "Total floor area each service occupies today (occupation.csv) ÷ its total demand in Trafford (zones.csv), "
         "so today's estate meets the standard exactly in aggregate.", "derived"),
        ("min_site_m2", "smallest viable service point", "see services.csv", "m²", "services.csv min_site_m2",
         "min_service_point_share × the smallest floor area the service occupies at any site today "
         "(occupation.csv), rounded down: a plan may not scatter a service into pieces far smaller than any "
         "service point that works today (e.g. a Jobcentre split over six buildings).", "derived"),
        ("aged_0_to_4", "children aged 0-4 per zone", "see zones.csv", "residents", "childrens_centre demand",
         "Sum of single-year-of-age columns 0..4 of ONS mid-2024 LSOA estimates (Persons).", "derived"),
    ]
    df = pd.DataFrame(rows, columns=["id", "figure", "value", "unit", "applies_to", "source", "kind"])
    df["value"] = df["value"].map(lambda v: f"{v:g}" if isinstance(v, (int, float)) else v)
    return df.sort_values(["kind", "id"]).reset_index(drop=True)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


# ==============================================================================================
# checks
# ==============================================================================================
def travel_minutes(zones_df: pd.DataFrame, sites_df: pd.DataFrame, A: dict) -> pd.DataFrame:
    ze = zones_df["easting"].astype(float).values[:, None]
    zn = zones_df["northing"].astype(float).values[:, None]
    se = sites_df["easting"].astype(float).values[None, :]
    sn = sites_df["northing"].astype(float).values[None, :]
    km = np.hypot(ze - se, zn - sn) / 1000.0
    t = km * A["travel_detour_factor"] / A["travel_speed_kmh"] * 60.0
    return pd.DataFrame(t, index=zones_df["zone_id"], columns=sites_df["site_id"])


def sanity(sites_df, services_df, occ, zones_df, excluded_df, eric_med, A, hospitals, fire) -> None:
    print("== Sanity checks ==")
    print(f"sites: {len(sites_df)}")
    print("by owner_type:", sites_df.groupby("owner_type").size().to_dict())
    print("by site_type:", sites_df.groupby("site_type").size().to_dict())
    fa = sites_df["floor_area_m2"].astype(float)
    print(f"total floor area: {fa.sum():,.0f} m²  (other use {sites_df['other_use_m2'].astype(float).sum():,.0f} m²)")
    print(f"total running cost: £{sites_df['running_cost_gbp'].astype(float).sum():,.0f}/yr; "
          f"backlog £{sites_df['backlog_gbp'].astype(float).sum():,.0f}; "
          f"disposal value £{sites_df['disposal_value_gbp'].astype(float).sum():,.0f}")
    print(f"must_retain sites: {(sites_df.must_retain == 'true').sum()}")
    pop = zones_df["population"].astype(int).sum()
    print(f"zones: {len(zones_df)}; population {pop:,} (OA total 241,025: {'OK' if pop == 241025 else 'MISMATCH'})")
    print(f"ERIC medians: running £{eric_med['running_median']:.2f}/m² (n={eric_med['running_n']}, IQR "
          f"{eric_med['running_q1']:.0f}-{eric_med['running_q3']:.0f}; all columns reported "
          f"£{eric_med['running_median_strict']:.2f}), backlog £{eric_med['backlog_median']:.2f}/m² "
          f"(n={eric_med['backlog_n']}; all bands reported £{eric_med['backlog_median_strict']:.2f})")
    tgh = hospitals["Trafford General Hospital"]
    print(f"Trafford General OS footprint {tgh['footprint_m2']:,.0f} m² vs ERIC GIA RW3TR+RXV80 "
          f"{float(sites_df.loc[sites_df.site_id.isin(['NHS-RW3TR', 'NHS-RXV80']), 'floor_area_m2'].astype(float).sum()):,.0f} m²")
    print(f"fire stations: {len(fire)} (from {sum(len(f['ids']) for f in fire)} OS outlines)")
    print("per service: sites hosting today, occupied m², total demand, space_m2_per_unit")
    for _, sv in services_df.iterrows():
        o = occ[occ.service_id == sv.service_id]
        demand = zones_df[sv.demand_basis].astype(int).sum()
        print(f"  {sv.service_id:17s} sites {len(o):3d}  occupied {o.floor_area_m2.sum():9,.0f} m²  "
              f"demand {demand:8,d} ({sv.demand_basis})  space/unit {float(sv.space_m2_per_unit):.5f}")
    # occupancy never exceeds the space not in other use
    s = sites_df.set_index("site_id")
    used = occ.groupby("site_id").floor_area_m2.sum()
    over = [(i, u) for i, u in used.items()
            if u > float(s.at[i, "floor_area_m2"]) - float(s.at[i, "other_use_m2"]) + 0.5]
    print(f"sites where occupation + other use > floor area: {over if over else 'none'}")
    t = travel_minutes(zones_df, sites_df, A)
    print("travel check (straight line × 1.3 / 20 km/h): worst zone's nearest current site vs standard")
    fails = []
    for _, sv in services_df.iterrows():
        hosts = sorted(occ.loc[occ.service_id == sv.service_id, "site_id"])
        nearest = t[hosts].min(axis=1)
        worst = nearest.idxmax()
        std = float(sv.max_travel_min)
        bad = nearest[nearest > std]
        print(f"  {sv.service_id:17s} standard {std:4.0f} min  worst {nearest.max():5.1f} min ({worst})  "
              f"zones over standard: {len(bad)}  [start value {TRAVEL_STANDARD_START[sv.service_id]} min: "
              f"{int((nearest > TRAVEL_STANDARD_START[sv.service_id]).sum())} zones over]")
        fails += [(sv.service_id, z) for z in bad.index]
    print(f"zones/services not meeting the default standard today: {fails if fails else 'none'}")
    print(f"excluded source rows: {len(excluded_df)} (by file: "
          f"{excluded_df.groupby('source_file').size().to_dict()})")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, default=HERE / "raw")
    ap.add_argument("--out", type=Path, default=HERE / "trafford")
    args = ap.parse_args(argv)
    raw, out = args.raw, args.out
    out.mkdir(parents=True, exist_ok=True)

    (sites, occupation, zones, features, excluded, eric_med, derived, typical, hospitals, fire, reg, A) = assemble(raw)
    sites_df = sites_frame(sites, occupation, A)
    zones_df = zones_frame(zones)
    services_df = services_frame(occupation, zones, A)
    occ_df = occupation.copy()
    occ_out = occ_df.assign(floor_area_m2=occ_df.floor_area_m2.map(lambda v: fmt(v, 1)))
    excluded_df = pd.DataFrame(excluded, columns=["source_file", "source_id", "name", "reason"])
    excluded_df = excluded_df.drop_duplicates().sort_values(["source_file", "source_id", "reason"]).reset_index(drop=True)
    assumptions_df = assumptions_frame(A, derived, eric_med, typical)

    assert sites_df.site_id.is_unique
    assert set(occ_df.site_id) <= set(sites_df.site_id)
    assert (occ_df.floor_area_m2 > 0).all()

    write_csv(sites_df, out / "sites.csv")
    write_csv(services_df, out / "services.csv")
    write_csv(occ_out, out / "occupation.csv")
    write_csv(zones_df, out / "zones.csv")
    write_csv(assumptions_df, out / "assumptions.csv")
    write_csv(excluded_df, out / "excluded.csv")
    write_geojson(features, out / "lsoa_boundaries.geojson")
    sanity(sites_df, services_df, occ_df, zones_df, excluded_df, eric_med, A, hospitals, fire)


if __name__ == "__main__":
    main()
