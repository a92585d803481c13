"""Scenario files: YAML that names the inputs and sets the rules a board chooses.

Every setting is a dataclass field with a type and a default, so the file is validated
field by field: an unknown key gets a "did you mean" and a wrong type says what is expected.
Paths are resolved relative to the scenario file. YAML is read with ``yaml.safe_load``.

Example::

    name: Trafford, 20-minute library standard
    inputs:
      sites: ../data/trafford/sites.csv
      services: ../data/trafford/services.csv
      occupation: ../data/trafford/occupation.csv
      zones: ../data/trafford/zones.csv
    services:
      library: {max_travel_min: 20}
    economics: {discount_rate: 0.035, appraisal_years: 30}
    constraints: {max_sites: 80}
    solver: {name: highs, time_limit_s: 300}
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from estate_opt.errors import InputError, Problems


@dataclass
class Inputs:
    sites: Path | None = None
    services: Path | None = None
    zones: Path | None = None
    occupation: Path | None = None  # optional: an estate with no services today
    travel_times: Path | None = None  # optional: given zone->site minutes
    boundaries: Path | None = None  # optional: zone polygons for maps (zone_id column)
    assumptions: Path | None = None  # optional: assumptions table copied into every run
    sheets: dict = field(default_factory=dict)  # table -> sheet name, for XLSX inputs
    layers: dict = field(default_factory=dict)  # table -> layer name, for GeoPackage inputs


@dataclass
class Travel:
    method: str = "straight_line"  # straight_line | network | matrix
    detour_factor: float = 1.3  # road distance / straight-line distance
    speed_kmh: float = 20.0  # door-to-door speed along the road
    access_min: float = 0.0  # fixed minutes added to every trip (parking, waiting)
    network: Path | None = None  # .osm.pbf road network, for method: network
    connector_speed_kmh: float = 5.0  # walking speed from a point to the nearest road


@dataclass
class Economics:
    discount_rate: float = 0.035  # HM Treasury Green Book
    appraisal_years: int = 30
    travel_weight_gbp_per_unit_min: float = 0.0  # £ per unit of demand per minute per year
    receipts_sharing: str = "owner"  # owner | floor_area | equal: how disposal receipts are shared


@dataclass
class Constraints:
    min_sites: int | None = None
    max_sites: int | None = None
    exact_sites: int | None = None  # "retain exactly p sites" (p-median)
    capital_budget_gbp: float | None = None  # backlog of retained sites + fit-out
    min_annual_saving_gbp: float | None = None  # on running costs, £/yr
    must_retain: list = field(default_factory=list)  # site ids, on top of the sites file flags
    must_dispose: list = field(default_factory=list)
    lease_exit_by: dt.date | None = None  # leaseholds ending after this date cannot go
    min_owner_position_gbp: float | None = None  # no organisation's net annual position below this (£/yr)
    owner_min_position_gbp: dict = field(default_factory=dict)  # owner -> £/yr, overriding the above
    consent: dict = field(default_factory=dict)  # owner -> site ids it consents to dispose (others stay)
    max_travel_increase_min: float | None = None  # no zone's mean trip to a service grows more than this
    max_decile_travel_increase_min: float | None = None  # per deprivation decile (zones column needed)


@dataclass
class Sensitivity:
    running_cost: list = field(default_factory=lambda: [0.9, 1.1])  # factor range, uniform per site
    disposal_value: list = field(default_factory=lambda: [0.7, 1.3])
    backlog: list = field(default_factory=lambda: [0.8, 1.2])
    seed: int = 0


@dataclass
class Phasing:
    horizon_years: int | None = None  # a year-by-year programme over this many years (None: one plan, no timing)
    start_year: int | None = None  # the programme's first year (default: this year)
    capital_budget_gbp: list = field(default_factory=list)  # £ per programme year; one number = every year
    min_annual_saving_gbp: list = field(default_factory=list)  # running cost saved by each year, £/yr


@dataclass
class Solver:
    name: str = "highs"  # highs | cbc
    time_limit_s: float = 600.0
    mip_gap: float = 1e-6  # relative gap at which the solver may stop and call it optimal
    threads: int | None = None
    log: bool = False  # stream the solver's own log
    options: dict = field(default_factory=dict)  # extra HiGHS options by name (e.g. mip_heuristic_effort: 0.3)

    def override(self, settings: dict | None) -> None:
        """Apply command-line overrides (setting name -> value), the one place they are applied."""
        for k, v in (settings or {}).items():
            setattr(self, k, v)


SERVICE_OVERRIDES = ("max_travel_min", "required_share", "catchment_max_min", "move_cost_gbp_per_m2",
                     "space_m2_per_unit", "demand_rate", "min_site_m2", "incompatible_with")


@dataclass
class Scenario:
    name: str = "scenario"
    description: str = ""
    attribution: str = ""  # data credits shown on maps and reports (e.g. OGL/OS notices)
    extends: str = ""  # the scenario file this one starts from, if any
    inputs: Inputs = field(default_factory=Inputs)
    travel: Travel = field(default_factory=Travel)
    services: dict = field(default_factory=dict)  # service_id -> {setting: value}
    economics: Economics = field(default_factory=Economics)
    constraints: Constraints = field(default_factory=Constraints)
    solver: Solver = field(default_factory=Solver)
    sensitivity: Sensitivity = field(default_factory=Sensitivity)
    phasing: Phasing = field(default_factory=Phasing)
    path: Path | None = None  # the file it was read from

    def to_dict(self) -> dict:
        """Plain data (paths as strings) for summary.json and re-running."""

        def plain(v):
            if isinstance(v, Path):
                return str(v)
            if isinstance(v, (dt.date,)):
                return v.isoformat()
            if isinstance(v, dict):
                return {k: plain(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [plain(x) for x in v]
            return v

        return plain(dataclasses.asdict(self))


SECTIONS = {"inputs": Inputs, "travel": Travel, "economics": Economics, "constraints": Constraints, "solver": Solver,
            "sensitivity": Sensitivity, "phasing": Phasing}


def _file_settings() -> tuple[tuple[str, str], ...]:
    """(section, field) of every setting that names a file, in declaration order."""
    return tuple((name, f.name) for name, cls in SECTIONS.items() for f in dataclasses.fields(cls)
                 if Path in typing.get_args(typing.get_type_hints(cls)[f.name]))


# Every input file a scenario can name (the scenario file itself aside): inputs.* and travel.network.
FILE_SETTINGS = _file_settings()


def load_scenario(path: str | Path, _chain: tuple = ()) -> Scenario:
    """Read and validate a scenario YAML file; raise :class:`InputError` listing every problem.

    ``extends: other.yaml`` starts from another scenario (its paths stay relative to its own file)
    and overrides only the settings given; mappings merge, lists and values replace. A scenario
    that extends another takes its file name as its name unless it gives one.
    """
    path = Path(path)
    problems = Problems()
    if not path.exists():
        raise InputError([_p(path, "the scenario file does not exist", "check the path")])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise InputError([_p(path, f"not valid YAML: {e}", "check indentation and colons")]) from None
    if not isinstance(data, dict):
        raise InputError([_p(path, "the scenario must be a mapping of settings", "see scenarios/trafford.yaml")])
    parent = data.pop("extends", None)
    if parent:
        ppath = (path.parent / str(parent)).resolve()
        if ppath in _chain or ppath == path.resolve():
            raise InputError([_p(path, f"'extends' goes round in a circle through {ppath.name}",
                                 "a scenario cannot extend itself, directly or through others")])
        if not ppath.exists():
            raise InputError([_p(path, f"extends: file not found: {ppath}", "paths are relative to the scenario file")])
        base = load_scenario(ppath, _chain + (path.resolve(),)).to_dict()
        base.pop("path", None)
        base["name"] = data.pop("name", path.stem)
        base["description"] = data.pop("description", "")
        data = _merge(base, data)
        data["extends"] = str(ppath)
    sc = from_dict(data, path.parent, str(path), problems)
    sc.path = path.resolve()
    problems.raise_if_any()
    return sc


def scenario_of_run(summary: dict) -> Scenario:
    """The scenario a run recorded in its summary.json (absolute paths, so no base folder is needed)."""
    return from_dict({k: v for k, v in summary["settings"].items() if k != "path"}, Path("/"), "summary.json settings")


def _merge(base: dict, over: dict) -> dict:
    """``over`` on top of ``base``: mappings merge key by key, anything else replaces."""
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def from_dict(data: dict, base: Path, source: str, problems: Problems | None = None) -> Scenario:
    """Build a Scenario from plain data; relative paths resolve against ``base``."""
    own = problems is None
    problems = Problems() if problems is None else problems
    sc = Scenario()
    for key, value in data.items():
        if key in SECTIONS:
            if value is None:
                continue
            if not isinstance(value, dict):
                problems.add(source, f"'{key}' must be a mapping of settings", f"see the {key} section in the README")
                continue
            setattr(sc, key, _section(SECTIONS[key], value, f"{key}", base, source, problems))
        elif key in ("name", "description", "attribution"):
            setattr(sc, key, " ".join(str(value).split()))
        elif key == "extends":  # already merged by load_scenario; kept to say where settings came from
            sc.extends = str(value)
        elif key == "services":
            sc.services = _service_overrides(value, source, problems)
        else:
            problems.add(source, f"unknown setting '{key}'",
                         _suggest(key, ["name", "description", "attribution", "extends", "services", *SECTIONS]))
    _check(sc, source, problems)
    if own:
        problems.raise_if_any()
    return sc


def _section(cls, values: dict, prefix: str, base: Path, source: str, problems: Problems):
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    obj = cls()
    for key, value in values.items():
        if key not in names:
            problems.add(source, f"unknown setting '{prefix}.{key}'", _suggest(key, names))
            continue
        try:
            setattr(obj, key, _convert(value, hints[key], base))
        except (TypeError, ValueError) as e:
            problems.add(source, f"'{prefix}.{key}': {e}", f"expected {_describe(hints[key])}")
    return obj


def _convert(value, hint, base: Path):
    """Convert a YAML value to the field's type, or raise ValueError saying why."""
    args = typing.get_args(hint)
    optional = type(None) in args
    if value is None:
        if optional:
            return None
        raise ValueError("must not be empty")
    target = next((a for a in args if a is not type(None)), hint) if args and typing.get_origin(hint) is not None \
        and typing.get_origin(hint) not in (list, dict) else hint
    origin = typing.get_origin(target) or target
    if target is Path:
        p = Path(str(value)).expanduser()
        return (base / p).resolve() if not p.is_absolute() else p
    if target is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(f"{value!r} is not true/false")
    if target is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise ValueError(f"{value!r} is not a whole number")
        return int(value)
    if target is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{value!r} is not a number")
        return float(value)
    if target is str:
        return str(value)
    if target is dt.date:
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value))
    if origin is list:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return [value]
        if not isinstance(value, list):
            raise ValueError(f"{value!r} is not a list")
        return [v if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v) for v in value]
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{value!r} is not a mapping")
        return {str(k): ([str(x) for x in v] if isinstance(v, list) else v) for k, v in value.items()}
    raise TypeError(f"unsupported setting type {hint}")


def _describe(hint) -> str:
    """A setting's type in words, for messages."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if args and typing.get_origin(hint) not in (list, dict):
        return " or ".join(_describe(a) for a in args) + (" (or nothing)" if type(None) in typing.get_args(hint)
                                                          else "")
    origin = typing.get_origin(hint) or hint
    words = {float: "a number, e.g. 600", int: "a whole number, e.g. 20", bool: "true or false", str: "text",
             Path: "a file path (relative to the scenario file)", dt.date: "a date written YYYY-MM-DD",
             list: "a list, e.g. [A, B]", dict: "a mapping, e.g. {name: value}"}
    return words.get(origin, str(hint))


def _service_overrides(value, source: str, problems: Problems) -> dict:
    if not isinstance(value, dict):
        problems.add(source, "'services' must map service ids to settings", "e.g. services: {gp: {max_travel_min: 15}}")
        return {}
    out = {}
    for sid, settings in value.items():
        if not isinstance(settings, dict):
            problems.add(source, f"'services.{sid}' must be a mapping", "e.g. {max_travel_min: 15}")
            continue
        clean = {}
        for key, v in settings.items():
            if key not in SERVICE_OVERRIDES:
                problems.add(source, f"unknown service setting 'services.{sid}.{key}'", _suggest(key, SERVICE_OVERRIDES))
            elif key == "incompatible_with":
                clean[key] = tuple(sorted([v] if isinstance(v, str) else [str(x) for x in (v or [])]))
            elif v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                problems.add(source, f"'services.{sid}.{key}' is not a number: {v!r}", "write a plain number")
            else:
                clean[key] = None if v is None else float(v)
        out[str(sid)] = clean
    return out


def _check_phasing(ph: Phasing, source: str, problems: Problems) -> None:
    if ph.horizon_years is None:
        return
    if not 1 <= ph.horizon_years <= 50:
        problems.add(source, f"phasing.horizon_years {ph.horizon_years} is not between 1 and 50", "e.g. 10")
    for key in ("capital_budget_gbp", "min_annual_saving_gbp"):
        values = getattr(ph, key)
        bad = [v for v in values if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0]
        if bad:
            problems.add(source, f"phasing.{key}: {bad[0]!r} is not an amount in £", "write plain numbers, one per year")
        if len(values) > ph.horizon_years:
            problems.add(source, f"phasing.{key} gives {len(values)} years but the horizon is {ph.horizon_years}",
                         "give one amount per programme year, or one for every year")


def _check(sc: Scenario, source: str, problems: Problems) -> None:
    _check_phasing(sc.phasing, source, problems)
    for name in ("sites", "services", "zones"):
        if getattr(sc.inputs, name) is None:
            problems.add(source, f"inputs.{name} is not given", f"name the {name} file under inputs:")
    for name in ("sites", "services", "zones", "occupation", "travel_times", "boundaries", "assumptions"):
        p = getattr(sc.inputs, name)
        if p is not None and not Path(p).exists():
            problems.add(source, f"inputs.{name}: file not found: {p}", "paths are relative to the scenario file")
    t = sc.travel
    if t.method not in ("straight_line", "network", "matrix"):
        problems.add(source, f"travel.method '{t.method}' is unknown", "use straight_line, network or matrix")
    if t.method == "network" and (t.network is None or not Path(t.network).exists()):
        problems.add(source, "travel.method is network but travel.network names no existing file",
                     "give the road network (.osm.pbf) under travel.network")
    if t.method == "matrix" and sc.inputs.travel_times is None:
        problems.add(source, "travel.method is matrix but inputs.travel_times is not given", "name the travel times file")
    for k in ("detour_factor", "speed_kmh", "connector_speed_kmh"):
        if getattr(t, k) <= 0:
            problems.add(source, f"travel.{k} must be greater than zero", "")
    if t.access_min < 0:
        problems.add(source, "travel.access_min must not be negative", "")
    e = sc.economics
    if not -0.5 < e.discount_rate < 1:
        problems.add(source, f"economics.discount_rate {e.discount_rate} is not a rate", "write 0.035 for 3.5%")
    if e.appraisal_years < 1:
        problems.add(source, "economics.appraisal_years must be at least 1", "")
    if e.travel_weight_gbp_per_unit_min < 0:
        problems.add(source, "economics.travel_weight_gbp_per_unit_min must not be negative", "")
    c = sc.constraints
    for k in ("min_sites", "max_sites", "exact_sites", "capital_budget_gbp"):
        v = getattr(c, k)
        if v is not None and v < 0:
            problems.add(source, f"constraints.{k} must not be negative", "")
    if c.min_sites is not None and c.max_sites is not None and c.min_sites > c.max_sites:
        problems.add(source, f"constraints.min_sites {c.min_sites} exceeds max_sites {c.max_sites}", "")
    both = set(c.must_retain) & set(c.must_dispose)
    if both:
        problems.add(source, "sites both in constraints.must_retain and must_dispose", "remove them from one list",
                     ids=sorted(both))
    if sc.economics.receipts_sharing not in ("owner", "floor_area", "equal"):
        problems.add(source, f"economics.receipts_sharing '{sc.economics.receipts_sharing}' is unknown",
                     "use owner, floor_area or equal")
    for owner, v in c.owner_min_position_gbp.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            problems.add(source, f"constraints.owner_min_position_gbp.{owner} is not a number: {v!r}", "")
    for owner, v in c.consent.items():
        if not isinstance(v, list):
            problems.add(source, f"constraints.consent.{owner} must be a list of site ids", "e.g. [TC-0003, TC-0094]")
    for k in ("max_travel_increase_min", "max_decile_travel_increase_min"):
        v = getattr(c, k)
        if v is not None and v < 0:
            problems.add(source, f"constraints.{k} must not be negative", "")
    for k in ("running_cost", "disposal_value", "backlog"):
        r = getattr(sc.sensitivity, k)
        if len(r) != 2 or not all(isinstance(x, (int, float)) for x in r) or not 0 <= r[0] <= r[1]:
            problems.add(source, f"sensitivity.{k} must be [low, high] factors with 0 <= low <= high", "e.g. [0.9, 1.1]")
    s = sc.solver
    if s.name.lower() not in ("highs", "cbc"):
        problems.add(source, f"solver.name '{s.name}' is unknown", "use highs or cbc")
    s.name = s.name.lower()
    if s.time_limit_s <= 0:
        problems.add(source, "solver.time_limit_s must be positive", "")
    if not 0 <= s.mip_gap < 1:
        problems.add(source, "solver.mip_gap must be a share in [0, 1)", "write 0.01 for 1%")


def annuity_factor(rate: float, years: int) -> float:
    """Annual equivalent of £1 today: r / (1 - (1 + r)^-n); 1/n when r = 0 (1/yr)."""
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def _suggest(key: str, names) -> str:
    close = difflib.get_close_matches(str(key), list(names), n=1)
    return f"did you mean '{close[0]}'?" if close else f"known settings: {', '.join(names)}"


def _p(path, message, fix):
    from estate_opt.errors import InputProblem

    return InputProblem(str(path), message, fix)
