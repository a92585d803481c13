"""Compare scenarios side by side: what each rule costs, who gains, which sites change decision.

``compare_scenarios`` solves each scenario (or reuses its written plan when the plan still verifies
against the current inputs and was made with the same settings) and lays the results out as
tables: headline figures, access per service, each organisation's position, and every site whose
decision differs between scenarios. ``write_comparison`` writes them as CSV and one HTML page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from estate_opt.inputs.scenario import Scenario, load_scenario
from estate_opt.outputs.labels import fmt
from estate_opt.results.folder import same_settings

HEADLINES = [  # key in kpis, label, kind
    ("sites_after", "Sites kept", "int"), ("sites_disposed", "Sites disposed", "int"),
    ("floor_area_after_m2", "Floor area kept", "m2"),
    ("annual_running_saving_gbp", "Running cost saved", "gbp_yr"),
    ("capital_receipts_gbp", "Capital receipts (net)", "gbp"),
    ("move_cost_gbp", "Move and fit-out cost", "gbp"),
    ("annual_equivalent_saving_gbp", "Annual equivalent saving", "gbp_yr"),
    ("carbon_after_tco2e", "Carbon from energy use", "tco2e"),
]


@dataclass
class Solved:
    label: str  # the scenario's file name (stem)
    scenario: Scenario
    plan: object
    folder: Path
    reused: bool


def plan_for(path: Path, runs: Path, reuse: bool = True, progress=lambda m: None, solver_overrides=None) -> Solved:
    """The plan of one scenario: reused from runs/<stem> when still valid, else solved and written."""
    from estate_opt.results.folder import load_plan
    from estate_opt.run import run_scenario

    sc = load_scenario(path)
    sc.solver.override(solver_overrides)
    folder = runs / Path(path).stem
    if reuse and (folder / "summary.json").exists() and same_settings(
            json.loads((folder / "summary.json").read_text()), sc):
        try:
            plan, _, _ = load_plan(folder)  # verifies the plan against today's inputs first
            progress(f"{sc.name}: reusing the plan in {folder}")
            return Solved(Path(path).stem, sc, plan, folder, True)
        except Exception as e:  # noqa: BLE001 - a stale or edited plan, whatever is wrong with it: solve again
            progress(f"{sc.name}: cannot reuse {folder} ({type(e).__name__}); solving")
    progress(f"{sc.name}: solving")
    plan, folder = run_scenario(sc, folder, overwrite=True, progress=progress)
    return Solved(Path(path).stem, sc, plan, folder, False)


def comparison_tables(solved: list[Solved]) -> dict[str, pd.DataFrame]:
    """Side-by-side tables: headlines, access, owners, decisions (sites that differ)."""
    cols = [s.label for s in solved]
    rows = [("Status", [s.plan.result.status.value for s in solved]),
            ("Optimality gap", [fmt(s.plan.result.gap, "share") if s.plan.result.gap is not None else "–"
                                for s in solved])]
    rows += [(lab, [s.plan.kpis.get(k) for s in solved]) for k, lab, _ in HEADLINES]
    headlines = pd.DataFrame([v for _, v in rows], index=[n for n, _ in rows], columns=cols)
    access_rows = []
    for s in solved:
        for a in s.plan.services.itertuples(index=False):
            access_rows.append({"scenario": s.label, "service_id": a.service_id, "standard_min": a.standard_min,
                                "share_within_after": a.share_within_after,
                                "mean_travel_min_after": a.mean_travel_min_after,
                                "max_travel_min_after": a.max_travel_min_after, "sites_after": a.sites_after})
    access = pd.DataFrame(access_rows)
    owners = pd.concat([s.plan.owners.assign(scenario=s.label) for s in solved], ignore_index=True)
    decisions = solved[0].plan.sites.set_index("site_id")[["name", "owner"]].copy()
    for s in solved:
        decisions[s.label] = s.plan.sites.set_index("site_id").decision
    differ = decisions[cols].nunique(axis=1, dropna=False) > 1
    return {"headlines": headlines, "access": access, "owners": owners,
            "decisions": decisions[differ].reset_index()}


def write_comparison(solved: list[Solved], out: Path) -> Path:
    """compare.csv, compare_access.csv, compare_owners.csv, compare_decisions.csv and compare.html."""
    from importlib import resources

    import jinja2

    from estate_opt.results.folder import write_run

    t = comparison_tables(solved)
    page = jinja2.Environment(autoescape=True).from_string(
        resources.files("estate_opt.outputs").joinpath("templates", "compare.html.j2").read_text()).render(
        scenarios=[{"label": s.label, "name": s.scenario.name, "description": s.scenario.description,
                    "status": s.plan.result.status.value, "gap": fmt(s.plan.result.gap, "share"),
                    "folder": str(s.folder), "reused": s.reused} for s in solved],
        headlines=[(name, [fmt(v, kind) if isinstance(v, (int, float)) else (v if v is not None else "–")
                           for v in row]) for (name, row), kind in
                   zip(t["headlines"].iterrows(), ["text", "text"] + [k for _, _, k in HEADLINES])],
        labels=[s.label for s in solved], access=_access_matrix(t["access"], solved),
        owners=_owner_matrix(t["owners"], solved), decisions=t["decisions"].fillna("").values.tolist(),
        decision_head=list(t["decisions"].columns))
    files = {"compare.csv": t["headlines"].reset_index(names="figure"), "compare_access.csv": t["access"],
             "compare_owners.csv": t["owners"], "compare_decisions.csv": t["decisions"], "compare.html": page,
             "summary.json": {"kind": "comparison", "scenarios": [str(s.scenario.path) for s in solved],
                              "folders": [str(s.folder) for s in solved]}}
    return write_run(out, files)


def _access_matrix(access: pd.DataFrame, solved) -> list:
    rows = []
    for k, g in access.groupby("service_id", sort=False):
        g = g.set_index("scenario")
        rows.append((k, [f"{fmt(g.at[s.label, 'share_within_after'], 'share')} within "
                         f"{fmt(g.at[s.label, 'standard_min'], 'min')}; mean {fmt(g.at[s.label, 'mean_travel_min_after'], 'min')}"
                         if s.label in g.index else "–" for s in solved]))
    return rows


def _owner_matrix(owners: pd.DataFrame, solved) -> list:
    rows = []
    for o, g in owners.groupby("owner", sort=True):
        g = g.set_index("scenario")
        rows.append((o, [f"saves {fmt(g.at[s.label, 'annual_saving_gbp'], 'gbp_yr')}; receipts "
                         f"{fmt(g.at[s.label, 'receipts_gbp'], 'gbp')}" if s.label in g.index else "–" for s in solved]))
    return rows
