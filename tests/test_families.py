"""The registry of constraint families: what the builder adds, the diagnosis relaxes and the docs say."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, line_tables, write_scenario

from estate_opt.inputs.estate import load_estate
from estate_opt.inputs.scenario import load_scenario
from estate_opt.model import formulation
from estate_opt.model.families import REGISTRY, model_markdown
from estate_opt.model.formulation import ModelOptions, build_model
from estate_opt.model.phasing import PhasingOptions, add_programme

EVERY_LIMIT = ModelOptions(min_sites=1, max_sites=3, exact_sites=2, capital_budget=1e6, min_annual_saving=1.0,
                           min_owner_position=-1e6, max_travel_increase=1.0, max_decile_travel_increase=2.0)


@pytest.fixture
def estate(tmp_path):
    """The line estate with a second, incompatible service of viable size, a move cost and deprivation deciles."""
    t = line_tables()
    t["services"] = t["services"].assign(move_cost_gbp_per_m2=[10.0], min_site_m2=[0.0], incompatible_with=["hub"])
    hub = {"service_id": "hub", "name": "Hub", "space_m2_per_unit": 0.1, "max_travel_min": 4.0,
           "required_share": 0.5, "move_cost_gbp_per_m2": 0.0, "min_site_m2": 5.0, "incompatible_with": ""}
    t["services"].loc[1] = hub
    t["sites"]["can_host"] = ["lib;hub", "lib;hub", "lib;hub"]
    t["zones"]["deprivation_decile"] = [1, 2]
    return load_estate(load_scenario(write_scenario(tmp_path / "in", t)))


def lp_row_names(prob, tmp_path) -> list[str]:
    """The constraint names of the written LP file (rows are "name: ..." lines in its Subject To section)."""
    path = tmp_path / "model.lp"
    prob.writeLP(str(path))
    text = path.read_text().split("Subject To", 1)[1].split("\nBounds", 1)[0]
    return re.findall(r"^(\S+):", text, flags=re.MULTILINE)


def family_of(name: str) -> str | None:
    """The registered family an LP row belongs to (the longest key it starts with, as PuLP writes it)."""
    keys = sorted(REGISTRY, key=len, reverse=True)
    return next((k for k in keys if name == k.replace("-", "_") or name.startswith(k.replace("-", "_") + "_")), None)


def test_every_row_build_model_adds_is_of_a_registered_family(estate, tmp_path):
    model = build_model(estate, EVERY_LIMIT)
    add_programme(model, estate, PhasingOptions(2, 2027, 0.035, 30, [1e6], [0.0, 1.0]), EVERY_LIMIT)
    names = lp_row_names(model.problem, tmp_path)
    assert len(names) == sum(len(rows) for rows in model.rows.values()) == model.problem.numConstraints()
    assert all(family_of(n) in model.rows for n in names), [n for n in names if family_of(n) not in model.rows]
    assert set(model.rows) <= set(REGISTRY)
    built = {k for k, rows in model.rows.items() if rows}
    # where a site's only service has no host variable of its own, shares link to y directly (3a)
    plain = build_model(load_estate(load_scenario(write_scenario(tmp_path / "plain", line_tables()))))
    assert plain.rows["Share-link"] and not plain.rows["Service-point_link"]
    built |= {k for k, rows in plain.rows.items() if rows}
    assert built == set(REGISTRY), f"these estates exercise every family; missing: {set(REGISTRY) - built}"


def test_rows_are_named_by_the_inputs_ids(estate):
    model = build_model(estate, EVERY_LIMIT)
    demand = dict(model.rows["Zone-demand"])
    assert demand[("Z1", "lib")].name == "Zone_demand_Z1_lib"
    assert [ids for ids, _ in model.rows["Estate-sites"]] == [("exact",), ("min",), ("max",)]
    assert model.rows["Estate-capital_budget"][0][1].name == "Estate_capital_budget"


def test_model_docs_are_generated_from_the_registry():
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert text == model_markdown(), "docs/model.md is out of date: run python docs/make_model_md.py"
    doc = formulation.__doc__
    for f in REGISTRY.values():
        assert f"**{f.number}. {f.title}** (`{f.key}`)" in text, f.key
        assert f.doc and ("(£" in f.doc or "m²" in f.doc or "minutes" in f.doc or "units" in f.doc
                          or "`" in f.doc), f.key  # a formula, with its unit where it has one
        if not f.key.startswith("Phase-"):
            assert f"``{f.key}``" in doc, f"{f.key} is missing from the formulation docstring"
    for number in ("6b", "9.", "10."):
        assert number in doc


def _scales(estate, options) -> dict:
    model = build_model(estate, options)
    return {key: {REGISTRY[key].elastic.scale(model, estate, ids, row) for ids, row in rows}
            for key, rows in model.rows.items() if REGISTRY[key].elastic and rows}


def test_each_travel_row_is_scaled_by_its_own_limit(estate):
    scales = _scales(estate, ModelOptions(max_travel_increase=5.0, max_decile_travel_increase=2.0))
    assert scales["Decile-travel_increase"] == {2.0}  # was the zone limit, 5
    assert scales.get("Zone-travel_increase", {5.0}) == {5.0}


def test_a_zone_limit_of_zero_is_not_the_decile_limit(estate):
    scales = _scales(estate, ModelOptions(max_travel_increase=0.0, max_decile_travel_increase=3.0))
    assert scales["Zone-travel_increase"] == {1.0}  # its own limit, 0 (at least 1), not the decile's 3
    assert scales["Decile-travel_increase"] == {3.0}


def test_aggregated_point_link_has_the_same_optimum_as_per_share_rows(estate):
    """3b (one row per service point) cuts off no plan and admits none that 3a's per-share rows forbid."""
    from estate_opt.inputs.scenario import Solver
    from estate_opt.model.solve import Status, solve

    results = {}
    for link in ("aggregated", "per_share"):
        model = build_model(estate, ModelOptions(point_link=link, max_sites=2))
        result = solve(model.problem, Solver(mip_gap=0.0))
        assert result.status is Status.OPTIMAL
        shares = {(z, k, s): x.varValue for z, k, s, x in model.pairs[["zone_id", "service_id", "site_id", "x"]]
                  .itertuples(index=False)}
        hosted = {key: h.varValue for key, h in model.host.items()}
        assert all(v < 1e-9 or hosted[(k, s)] > 0.5 for (z, k, s), v in shares.items())  # no share without h
        results[link] = (result.objective, model.problem.numConstraints())
    assert results["aggregated"][0] == pytest.approx(results["per_share"][0], rel=1e-9)
    assert results["aggregated"][1] < results["per_share"][1]
