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

from estate_opt.inputs.scenario import Scenario, Travel

OWNERS = [  # owner, owner_type, share of sites, median floor area m²
    ("Borough Council", "council", 0.45, 700), ("NHS Community Trust", "nhs", 0.25, 900),
    ("DWP", "central_government", 0.10, 800), ("Police", "police", 0.10, 1200), ("Fire and Rescue", "fire", 0.10, 900)]
SERVICES = [  # id, name, standard (min), demand per resident, hosted by owner types, m² per unit of demand
    ("gp", "GP surgery", 15, 1.0, ("nhs", "council"), 0.08),
    ("library", "Library", 20, 1.0, ("council",), 0.036),
    ("hub", "Community hub", 20, 1.0, ("council", "fire", "police"), 0.006),
    ("children", "Children's centre", 20, 0.06, ("council", "nhs"), 0.06),
    ("jobcentre", "Jobcentre", 40, 0.63, ("central_government", "council"), 0.011),
    ("probation", "Probation", 45, 0.63, ("central_government", "police"), 0.008),
    ("front_counter", "Police front counter", 30, 1.0, ("police", "council", "fire"), 0.004),
    ("youth", "Youth centre", 25, 0.12, ("council",), 0.15),
    ("social_care", "Adult social care office", 35, 0.19, ("council", "nhs"), 0.02),
    ("clinic", "Community clinic", 25, 1.0, ("nhs",), 0.03),
]


def generate(n_sites: int = 100, n_zones: int | None = None, n_services: int = 6, seed: int = 0,
             detour_factor: float = 1.3, speed_kmh: float = 20.0) -> tuple[dict[str, pd.DataFrame], Scenario]:
    """Raw input tables (as a user's files would give) and a scenario for a synthetic area.

    Today's estate meets every standard by construction: each zone's nearest current host of a
    service is within the standard, and each host's space today is what its nearest users need.
    """
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
    population = rng.integers(1000, 3000, n_zones)
    zones = pd.DataFrame({"zone_id": [f"Z{i:05d}" for i in range(n_zones)], "name": [f"Zone {i}" for i in range(n_zones)],
                          "population": population, "easting": zxy[:, 0].round(1), "northing": zxy[:, 1].round(1)})

    shares = np.array([o[2] for o in OWNERS])
    oi = rng.choice(len(OWNERS), n_sites, p=shares / shares.sum())
    st = rng.choice(n_towns, n_sites, p=weight)
    sxy = towns[st] + rng.normal(0, 1000, (n_sites, 2))
    owner_type = np.array([OWNERS[o][1] for o in oi])
    travel_per_m = detour_factor / speed_kmh * 60 / 1000

    services = SERVICES[:n_services]
    can_host: dict[int, set] = {i: set() for i in range(n_sites)}
    rows, standard = [], {}
    for sid, _, std, rate, types, sigma in services:
        eligible = np.flatnonzero(np.isin(owner_type, types))
        today = set(eligible[rng.random(len(eligible)) < 0.4].tolist())
        # every zone reaches a current host within the standard: its nearest site takes the service
        hosts = np.array(sorted(today))
        far = np.arange(n_zones) if len(hosts) == 0 else \
            np.flatnonzero(cKDTree(sxy[hosts]).query(zxy)[0] * travel_per_m > std * 0.95)
        if len(far):
            today |= set(cKDTree(sxy).query(zxy[far])[1].tolist())
        hosts = np.array(sorted(today))
        dist, j = cKDTree(sxy[hosts]).query(zxy)
        nearest = hosts[j]
        standard[sid] = float(max(std, np.ceil(dist.max() * travel_per_m * 1.02)))  # a remote zone loosens it
        load = pd.Series(population * rate).groupby(nearest).sum()
        for i in hosts:
            can_host[i].add(sid)
            if load.get(i, 0) > 0:
                rows.append((f"S{i:05d}", sid, round(float(load[i]) * sigma, 1)))
        for i in eligible[rng.random(len(eligible)) < 0.3]:  # options the plan may use
            can_host[i].add(sid)
    occupation = pd.DataFrame(rows, columns=["site_id", "service_id", "floor_area_m2"])
    used = occupation.groupby("site_id").floor_area_m2.sum()
    base_area = np.array([OWNERS[o][3] for o in oi]) * rng.lognormal(0, 0.5, n_sites)
    ids = [f"S{i:05d}" for i in range(n_sites)]
    # today's services fill at most 70% of the space not in other use
    service_space = np.maximum(0.7 * base_area, used.reindex(ids).fillna(0).to_numpy() / 0.7)
    other = (0.3 * base_area).round(0)
    area = (service_space + other).round(0) + 1
    sites = pd.DataFrame({
        "site_id": ids, "name": [f"Site {i}" for i in range(n_sites)], "owner": [OWNERS[o][0] for o in oi],
        "owner_type": owner_type, "easting": sxy[:, 0].round(1), "northing": sxy[:, 1].round(1),
        "floor_area_m2": area, "other_use_m2": other,
        "running_cost_gbp": (area * 130 * rng.lognormal(0, 0.3, n_sites)).round(0),
        "backlog_gbp": (area * 32 * rng.lognormal(0, 0.8, n_sites)).round(0),
        "disposal_value_gbp": (area * 1200 * rng.lognormal(0, 0.4, n_sites)).round(0),
        "can_host": [";".join(sorted(can_host[i])) for i in range(n_sites)],
    })
    sites["disposal_cost_gbp"] = (0.03 * sites.disposal_value_gbp).round(0)
    services_df = pd.DataFrame([(sid, name, sigma, standard[sid], rate, 500.0)
                                for sid, name, std, rate, _, sigma in services],
                               columns=["service_id", "name", "space_m2_per_unit", "max_travel_min", "demand_rate",
                                        "move_cost_gbp_per_m2"])
    raw = {"sites": sites, "services": services_df, "zones": zones, "occupation": occupation}
    sc = Scenario(name=f"synthetic-{n_sites}x{n_zones}x{n_services}-seed{seed}",
                  travel=Travel(detour_factor=detour_factor, speed_kmh=speed_kmh))
    return raw, sc
