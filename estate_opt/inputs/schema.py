"""The input data model, declared once as data.

Every input table is a list of :class:`Column` rows: name, type, unit, whether it is
required, its default and what it means. The loader validates against these tables, the
docs (``docs/data_model.md``) are generated from them, and nothing else in the package
hard-codes a column list.

Locations: a table with ``location=True`` needs one of ``easting``/``northing`` (British
National Grid, EPSG:27700, metres), ``lon``/``lat`` (WGS84 degrees) or a point/polygon
geometry (GeoPackage/GeoJSON, any CRS that is declared). Everything is reprojected to BNG.
"""

from __future__ import annotations

from dataclasses import dataclass

OWNER_TYPES = ("council", "nhs", "police", "fire", "central_government", "education", "other")
TENURES = ("freehold", "leasehold")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # "str", "float", "bool", "date", "list" (';'-separated ids)
    unit: str
    meaning: str
    required: bool = False
    default: object = None
    min: float | None = None  # inclusive lower bound
    max: float | None = None  # inclusive upper bound
    positive: bool = False  # strictly > 0
    allowed: tuple = ()
    unique: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    meaning: str
    columns: tuple[Column, ...]
    location: bool = False
    extra_numeric_ok: bool = False  # zones may carry extra demand-basis columns

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


SITES = Table(
    "sites",
    "Every public building of every owner: what it costs, what it is worth, what it can host.",
    (
        Column("site_id", "str", "", "Unique id of the building", required=True, unique=True),
        Column("name", "str", "", "Name shown in reports and maps", required=True),
        Column("owner", "str", "", "Owning organisation, e.g. 'Trafford Council'", required=True),
        Column("owner_type", "str", "", "Kind of owner", required=True, allowed=OWNER_TYPES),
        Column("site_type", "str", "", "Building type, e.g. library, gp_practice, office", default=""),
        Column("floor_area_m2", "float", "m²", "Usable (gross internal) floor area", required=True, positive=True),
        Column("other_use_m2", "float", "m²",
               "Floor area used by activities outside the model: kept while the site is retained and gone "
               "with it if disposed (set must_retain if that use must stay)",
               default=0.0, min=0),
        Column("running_cost_gbp", "float", "£/yr",
               "Annual running cost: FM, energy, rates, rent, maintenance", required=True, min=0),
        Column("backlog_gbp", "float", "£", "Backlog maintenance to clear if the site is kept", default=0.0, min=0),
        Column("disposal_value_gbp", "float", "£", "Market value if sold (or lease surrender value)", default=0.0, min=0),
        Column("disposal_cost_gbp", "float", "£", "One-off cost of disposing (fees, decommissioning)", default=0.0, min=0),
        Column("carbon_tco2e_per_yr", "float", "tCO2e/yr",
               "Carbon from the building's energy use; blank if unknown (carbon is then reported for the "
               "sites that have it)", default=None, min=0),
        Column("tenure", "str", "", "freehold or leasehold", default="freehold", allowed=TENURES),
        Column("lease_end", "date", "YYYY-MM-DD", "Lease expiry or next break (leasehold only)", default=None),
        Column("must_retain", "bool", "", "The board requires this site to stay", default=False),
        Column("must_dispose", "bool", "", "The board requires this site to go", default=False),
        Column("can_host", "list", "service ids", "Services the building could host ('; '-separated); "
               "services it hosts today are always allowed", default=""),
        Column("notes", "str", "", "Free text: why flags are set, where figures came from", default=""),
    ),
    location=True,
)

SERVICES = Table(
    "services",
    "The public services residents use, with their space needs and access standards.",
    (
        Column("service_id", "str", "", "Unique id of the service", required=True, unique=True),
        Column("name", "str", "", "Name shown in reports", required=True),
        Column("space_m2_per_unit", "float", "m² per unit of demand",
               "Floor area the service needs per unit of demand", required=True, min=0),
        Column("max_travel_min", "float", "minutes",
               "Travel standard; blank means no standard", default=None, positive=True),
        Column("required_share", "float", "0..1",
               "Share of each area's demand that must be served within the standard", default=1.0, min=0, max=1),
        Column("catchment_max_min", "float", "minutes",
               "Longest trip on which any demand may be served; blank means the standard when "
               "required_share is 1, otherwise unlimited", default=None, positive=True),
        Column("min_site_m2", "float", "m²",
               "Smallest floor area of a viable service point: a site hosting the service gives it at least "
               "this much (0: no minimum)", default=0.0, min=0),
        Column("move_cost_gbp_per_m2", "float", "£/m²",
               "One-off move and fit-out cost per m² of new space", default=0.0, min=0),
        Column("incompatible_with", "list", "service ids",
               "Services it may never share a building with", default=""),
        Column("demand_basis", "str", "zones column",
               "Zones column that drives demand (population, aged_0_to_4, ...)", default="population"),
        Column("demand_rate", "float", "units per basis unit",
               "Units of demand per unit of the basis column", default=1.0, min=0),
        Column("demand_unit", "str", "", "What one unit of demand is, e.g. 'resident'", default="resident"),
    ),
)

OCCUPATION = Table(
    "occupation",
    "Which service occupies how much of which site today.",
    (
        Column("site_id", "str", "", "Site hosting the service today", required=True),
        Column("service_id", "str", "", "Service hosted", required=True),
        Column("floor_area_m2", "float", "m²", "Floor area the service occupies there", required=True, positive=True),
    ),
)

ZONES = Table(
    "zones",
    "Where residents live: one row per demand zone (e.g. LSOA population-weighted centroid).",
    (
        Column("zone_id", "str", "", "Unique id of the zone", required=True, unique=True),
        Column("name", "str", "", "Name shown in reports", default=""),
        Column("population", "float", "residents", "Resident population", required=True, min=0),
    ),
    location=True,
    extra_numeric_ok=True,
)

TRAVEL_TIMES = Table(
    "travel_times",
    "Optional given travel times (e.g. from a routing engine); replaces the computed ones.",
    (
        Column("zone_id", "str", "", "Origin zone", required=True),
        Column("site_id", "str", "", "Destination site", required=True),
        Column("minutes", "float", "minutes", "Travel time from zone to site", required=True, min=0),
    ),
)

TABLES = {t.name: t for t in (SITES, SERVICES, OCCUPATION, ZONES, TRAVEL_TIMES)}


def data_model_markdown() -> str:
    """The data model as Markdown, for docs/data_model.md."""
    out = ["# Input data model", "",
           "Generated from `estate_opt/inputs/schema.py` by `python -m estate_opt.inputs.schema`; do not edit by hand.", ""]
    for t in TABLES.values():
        out += [f"## {t.name}", "", t.meaning, ""]
        if t.location:
            out += [("Location: `easting`/`northing` (EPSG:27700), or `lon`/`lat` (WGS84), or a geometry "
                     "in a GeoPackage/GeoJSON with a declared CRS. Reprojected to EPSG:27700."), ""]
        if t.extra_numeric_ok:
            out += ["Any further numeric column may be named as a service's `demand_basis`.", ""]
        out += ["| column | type | unit | required | default | meaning |", "|---|---|---|---|---|---|"]
        for c in t.columns:
            allowed = f" One of: {', '.join(c.allowed)}." if c.allowed else ""
            default = "" if c.required else ("blank" if c.default in (None, "") else repr(c.default))
            out.append(f"| `{c.name}` | {c.dtype} | {c.unit} | {'yes' if c.required else 'no'} | "
                       f"{default} | {c.meaning}.{allowed} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(data_model_markdown())
