"""A seeded generator of realistic synthetic areas, for scale benchmarks and property tests.

Towns of different sizes; residents' zones clustered around them; sites of several owners
(council, NHS, central government, police, fire) near town centres, with floor areas, running
costs (about the NHS ERIC median of £130/m²/yr), backlog (about £32/m²) and values drawn around
published medians; services with travel standards; today's occupation. Every zone can reach a
site able to host each service within its standard, so a generated area is always feasible.
Same seed, same area.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from estate_opt.scenario import Scenario, Travel

OWNERS = [  # owner, owner_type, share of sites, median floor area m²
    ("Borough Council", "council", 0.45, 700), ("NHS Community Trust", "nhs", 0.25, 900),
    ("DWP", "central_government", 0.10, 800), ("Police", "police", 0.10, 1200), ("Fire and Rescue", "fire", 0.10, 900)]
SERVICES = [  # id, name, standard (min), demand basis share of population, hosted by owner types
    ("gp", "GP surgery", 15, 1.0, ("nhs", "council")),
    ("library", "Library", 20, 1.0, ("council",)),
    ("hub", "Community hub", 20, 1.0, ("council", "fire", "police")),
    ("children", "Children's centre", 20, 0.06, ("council", "nhs")),
    ("jobcentre", "Jobcentre", 40, 0.63, ("central_government", "council")),
    ("probation", "Probation", 45, 0.63, ("central_government", "police")),
    ("front_counter", "Police front counter", 30, 1.0, ("police", "council", "fire")),
    ("youth", "Youth centre", 25, 0.12, ("council",)),
    ("social_care", "Adult social care office", 35, 0.19, ("council", "nhs")),
    ("clinic", "Community clinic", 25, 1.0, ("nhs",)),
]


def generate(n_sites: int = 100, n_zones: int | None = None, n_services: int = 6, seed: int = 0,
             detour_factor: float = 1.3, speed_kmh: float = 20.0) -> tuple[dict[str, pd.DataFrame], Scenario]:
    """Raw input tables (as a user's files would give) and a scenario for a synthetic area."""
    rng = np.random.default_rng(seed)
    n_zones = n_zones or int(2.5 * n_sites)
    n_services = min(n_services, len(SERVICES))
    side = 12_000 * np.sqrt(n_zones / 150)  # metres; ~150 zones per 12 km square, like a borough
    n_towns = max(3, n_sites // 25)
    towns = rng.uniform(0, side, (n_towns, 2)) + [300_000, 300_000]
    weight = rng.lognormal(0, 0.8, n_towns)
    weight /= weight.sum()

    zt = rng.choice(n_towns, n_zones, p=weight)
    zxy = towns[zt] + rng.normal(0, 1500, (n_zones, 2))
    zones = pd.DataFrame({"zone_id": [f"Z{i:05d}" for i in range(n_zones)], "name": [f"Zone {i}" for i in range(n_zones)],
                          "population": rng.integers(1000, 3000, n_zones), "easting": zxy[:, 0].round(1),
                          "northing": zxy[:, 1].round(1)})

    shares = np.array([o[2] for o in OWNERS])
    oi = rng.choice(len(OWNERS), n_sites, p=shares / shares.sum())
    st = rng.choice(n_towns, n_sites, p=weight)
    sxy = towns[st] + rng.normal(0, 1000, (n_sites, 2))
    area = np.array([OWNERS[o][3] for o in oi]) * rng.lognormal(0, 0.5, n_sites)
    sites = pd.DataFrame({
        "site_id": [f"S{i:05d}" for i in range(n_sites)], "name": [f"Site {i}" for i in range(n_sites)],
        "owner": [OWNERS[o][0] for o in oi], "owner_type": [OWNERS[o][1] for o in oi],
        "easting": sxy[:, 0].round(1), "northing": sxy[:, 1].round(1), "floor_area_m2": area.round(0) + 50,
        "running_cost_gbp": (area * 130 * rng.lognormal(0, 0.3, n_sites)).round(0),
        "backlog_gbp": (area * 32 * rng.lognormal(0, 0.8, n_sites)).round(0),
        "disposal_value_gbp": (area * 1200 * rng.lognormal(0, 0.4, n_sites)).round(0),
    })
    sites["disposal_cost_gbp"] = (0.03 * sites.disposal_value_gbp).round(0)
    sites["other_use_m2"] = (0.3 * sites.floor_area_m2).round(0)

    services = SERVICES[:n_services]
    travel_per_m = detour_factor / speed_kmh * 60 / 1000
    host: dict[int, set] = {i: set() for i in range(n_sites)}
    for sid, _, std, _, types in services:
        eligible = np.flatnonzero(np.isin(sites.owner_type, types))
        pick = eligible[rng.random(len(eligible)) < 0.6]
        for i in pick:
            host[i].add(sid)
        # every zone must reach some host within the standard: give the nearest site the service
        hosts = np.array(sorted(i for i in range(n_sites) if sid in host[i]))
        far = np.arange(n_zones) if len(hosts) == 0 else \
            np.flatnonzero(cKDTree(sxy[hosts]).query(zxy)[0] * travel_per_m > std * 0.95)
        if len(far):
            _, nearest = cKDTree(sxy).query(zxy[far])
            for i in set(nearest.tolist()):
                host[i].add(sid)
    sites["can_host"] = [";".join(sorted(host[i])) for i in range(n_sites)]
    standard = {}
    for sid, _, std, _, _ in services:  # a zone whose nearest site is itself far sets a looser standard
        hosts = np.array(sorted(i for i in range(n_sites) if sid in host[i]))
        worst = cKDTree(sxy[hosts]).query(zxy)[0].max() * travel_per_m
        standard[sid] = float(max(std, np.ceil(worst * 1.05)))

    # Today: a site hosts a random half of what it can; each gets an equal share of 60% of its capacity.
    rows = []
    for i in range(n_sites):
        today = sorted(k for k in host[i] if rng.random() < 0.5)
        cap = sites.floor_area_m2[i] - sites.other_use_m2[i]
        for k in today:
            rows.append((sites.site_id[i], k, round(0.6 * cap / len(today), 1)))
    occupation = pd.DataFrame(rows, columns=["site_id", "service_id", "floor_area_m2"])
    pop = zones.population.sum()
    svc = []
    for sid, name, std, rate, _ in services:
        occupied = occupation.floor_area_m2[occupation.service_id == sid].sum()
        need = max(occupied, 1.0)
        svc.append((sid, name, need / (pop * rate), standard[sid], rate))
    services_df = pd.DataFrame(svc, columns=["service_id", "name", "space_m2_per_unit", "max_travel_min",
                                             "demand_rate"])
    services_df["move_cost_gbp_per_m2"] = 500.0
    raw = {"sites": sites, "services": services_df, "zones": zones, "occupation": occupation}
    sc = Scenario(name=f"synthetic-{n_sites}x{n_zones}x{n_services}-seed{seed}",
                  travel=Travel(detour_factor=detour_factor, speed_kmh=speed_kmh))
    return raw, sc
