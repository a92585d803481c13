"""OR-Library facility location instances (J.E. Beasley) as estate_opt inputs.

The benchmarks go through the product's own path: these readers only turn a file into the
same raw tables a user supplies (sites, services, zones, travel_times) and a Scenario; then
``build_estate`` -> ``build_model`` -> ``solve`` run unchanged. The mapping is the reduction
in the model docstring:

- cap*.txt (capacitated facility location): facility = site (floor area = capacity, running
  cost = fixed cost), customer = zone (population = demand), one service with 1 m² per unit
  (0 when uncapacitated), travel "minutes" = cost of serving all of j from i / demand of j,
  travel weight 1, no catchment, no receipts, backlog or move costs.
- pmed*.txt (p-median): vertex = site and zone, population 1, running cost 0, no capacity,
  minutes = shortest-path length, travel weight 1, exactly p sites.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from estate_opt.inputs.scenario import Constraints, Economics, Scenario, Solver, Travel


def _tokens(path: Path) -> list[str]:
    return Path(path).read_text().split()


def read_cap(path: str | Path, capacity: float | None = None, uncapacitated: bool = False) -> tuple[dict, Scenario]:
    """Raw tables and scenario for a cap*.txt file.

    ``capacity`` replaces every facility's capacity (capa.txt has the word 'capacity' there).
    """
    tok = _tokens(path)
    m, n = int(tok[0]), int(tok[1])
    pos = 2
    caps, fixed = [], []
    for _ in range(m):
        cap = tok[pos]
        caps.append(capacity if capacity is not None else (np.nan if cap == "capacity" else float(cap)))
        fixed.append(float(tok[pos + 1]))
        pos += 2
    if any(np.isnan(caps)) and not uncapacitated:
        raise ValueError(f"{path}: capacities are the word 'capacity'; give capacity= (e.g. 8000) or uncapacitated")
    demand = np.empty(n)
    cost = np.empty((n, m))
    for j in range(n):
        demand[j] = float(tok[pos])
        cost[j] = [float(v) for v in tok[pos + 1: pos + 1 + m]]
        pos += 1 + m
    if pos != len(tok):
        raise ValueError(f"{path}: expected {pos} numbers, found {len(tok)}")
    if (demand <= 0).any():
        raise ValueError(f"{path}: customers with zero demand cannot be expressed as cost per unit of demand")
    site_ids = [f"F{i + 1}" for i in range(m)]
    zone_ids = [f"C{j + 1}" for j in range(n)]
    floor = [1.0 if uncapacitated or np.isnan(c) else c for c in caps]
    sites = pd.DataFrame({"site_id": site_ids, "name": site_ids, "owner": "benchmark", "owner_type": "other",
                          "floor_area_m2": floor, "running_cost_gbp": fixed, "can_host": "cflp"})
    services = pd.DataFrame({"service_id": ["cflp"], "name": ["facility location"],
                             "space_m2_per_unit": [0.0 if uncapacitated else 1.0]})
    zones = pd.DataFrame({"zone_id": zone_ids, "population": demand})
    zi, si = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    travel = pd.DataFrame({"zone_id": np.asarray(zone_ids)[zi.ravel()], "site_id": np.asarray(site_ids)[si.ravel()],
                           "minutes": (cost / demand[:, None]).ravel()})
    raw = {"sites": sites, "services": services, "zones": zones, "travel_times": travel}
    name = Path(path).stem + ("-uncap" if uncapacitated else (f"-{capacity:g}" if capacity is not None else ""))
    return raw, _scenario(name, Constraints())


def read_pmed(path: str | Path) -> tuple[dict, Scenario]:
    """Raw tables and scenario for a pmed*.txt file (distances as in Beasley's note)."""
    from scipy.sparse.csgraph import shortest_path

    tok = _tokens(path)
    n, e, p = int(tok[0]), int(tok[1]), int(tok[2])
    w = np.full((n, n), np.inf)
    np.fill_diagonal(w, 0.0)
    edges = np.array(tok[3: 3 + 3 * e], dtype=float).reshape(e, 3)
    for i, j, c in edges:  # in file order: a repeated edge keeps its LAST cost
        w[int(i) - 1, int(j) - 1] = w[int(j) - 1, int(i) - 1] = c
    dist = shortest_path(w, method="FW", directed=False)
    ids = [f"V{i + 1}" for i in range(n)]
    return pmedian_tables(dist, p, Path(path).stem, ids, ids)


def pmedian_tables(cost: np.ndarray, p: int, name: str, zone_ids=None, site_ids=None) -> tuple[dict, Scenario]:
    """Raw tables and scenario for a p-median on a client x facility cost matrix (clients of weight 1)."""
    n, m = cost.shape
    zone_ids = list(zone_ids or [f"C{j + 1}" for j in range(n)])
    site_ids = list(site_ids or [f"F{i + 1}" for i in range(m)])
    sites = pd.DataFrame({"site_id": site_ids, "name": site_ids, "owner": "benchmark", "owner_type": "other",
                          "floor_area_m2": 1.0, "running_cost_gbp": 0.0, "can_host": "pmed"})
    services = pd.DataFrame({"service_id": ["pmed"], "name": ["p-median"], "space_m2_per_unit": [0.0]})
    zones = pd.DataFrame({"zone_id": zone_ids, "population": 1.0})
    zi, si = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    travel = pd.DataFrame({"zone_id": np.asarray(zone_ids)[zi.ravel()], "site_id": np.asarray(site_ids)[si.ravel()],
                           "minutes": np.asarray(cost, dtype=float).ravel()})
    raw = {"sites": sites, "services": services, "zones": zones, "travel_times": travel}
    return raw, _scenario(name, Constraints(exact_sites=p))


def _scenario(name: str, constraints: Constraints) -> Scenario:
    return Scenario(name=name, travel=Travel(method="matrix"),
                    economics=Economics(travel_weight_gbp_per_unit_min=1.0), constraints=constraints,
                    solver=Solver())


def read_optima(path: str | Path) -> pd.DataFrame:
    """OPTIMA.csv: instance, file, problem, capacity_override, sizes, p, optimal_value."""
    return pd.read_csv(path)


def load_instance(row: pd.Series, root: str | Path) -> tuple[dict, Scenario]:
    """Raw tables and scenario for one row of OPTIMA.csv."""
    path = Path(root) / row["file"]
    if row["problem"] == "PMEDIAN":
        return read_pmed(path)
    cap = row.get("capacity_override")
    cap = None if pd.isna(cap) or cap == "" else float(cap)
    return read_cap(path, capacity=cap, uncapacitated=row["problem"] == "UFLP")


def to_files(raw: dict, scenario: Scenario, folder: str | Path) -> Path:
    """Write an instance as ordinary input files plus a scenario YAML, so ``estate-opt run`` and
    ``estate-opt verify`` can be used on it like on any estate. Returns the scenario path."""
    import yaml

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for table, df in raw.items():
        df.to_csv(folder / f"{table}.csv", index=False)
    data = {k: v for k, v in scenario.to_dict().items() if k not in ("path", "inputs")}
    data["inputs"] = {t: f"{t}.csv" for t in raw}
    path = folder / f"{scenario.name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
