"""The registry of constraint families: the estate model's and the programme's, one record each.

``build_model`` and ``add_programme`` add the rows of their families (``FAMILIES``,
``PHASE_FAMILIES``) and record them on the model by family; the elastic diagnosis reads which
families are elastic, how their slacks are measured and how they are said from here; and
docs/model.md is generated from here (``python docs/make_model_md.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from estate_opt.model.formulation import FAMILIES, Family
from estate_opt.model.phasing import PHASE_FAMILIES

REGISTRY: dict[str, Family] = {f.key: f for f in (*FAMILIES, *PHASE_FAMILIES)}
assert len(REGISTRY) == len(FAMILIES) + len(PHASE_FAMILIES), "two families share a key"

DOCS = Path(__file__).resolve().parents[2] / "docs" / "model.md"


def family_markdown(f: Family) -> str:
    """One family as a Markdown list item: number, title, row name, rule with units, role in the diagnosis."""
    role = f"elastic, slack in {f.elastic.slack}" if f.elastic else "hard"
    return f"- **{f.number}. {f.title}** (`{f.key}`): {f.doc} *Diagnosis: {role}.*"


def model_markdown() -> str:
    """docs/model.md: the fixed prose below around the registry's families."""
    model = "\n".join(map(family_markdown, FAMILIES))
    phase = "\n".join(map(family_markdown, PHASE_FAMILIES))
    return _TEMPLATE.replace("{model_families}", model).replace("{phase_families}", phase)


def main(argv: list[str] | None = None) -> int:
    """Write docs/model.md (``--check``: exit 1 if it is out of date instead)."""
    argv = sys.argv[1:] if argv is None else argv
    text = model_markdown()
    if "--check" in argv:
        current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
        print("docs/model.md is " + ("up to date" if current == text else "out of date"))
        return 0 if current == text else 1
    DOCS.write_text(text, encoding="utf-8")
    return 0


_TEMPLATE = """\
# The estate model

<!-- Generated from the registry of constraint families by `python docs/make_model_md.py`;
edit the prose there (estate_opt/model/families.py) and the families where they are defined. -->

One mixed-integer program decides together which buildings an area's public bodies keep, which
services each kept building hosts, and where each neighbourhood's residents are served. The same
formulation, in reStructuredText, is the docstring of `estate_opt/model/formulation.py`; each constraint
family below is one `define_*` function there (or in `estate_opt/model/phasing.py`) and one record of the
registry `estate_opt.model.families.REGISTRY`, which the model builder, the elastic diagnosis of an
infeasible scenario and this page all read.

## Sets

- `S` sites (every public building of every owner), `K` services, `Z` demand zones.
- `A ⊆ Z × K × S` admissible triples: site `s` can host `k` (its `can_host` list, or it hosts `k`
  today), zone `z` has demand for `k`, and the trip time `t[z,s]` is within `k`'s catchment
  (`catchment_max_min`; by default the travel standard when the whole of demand must meet it,
  otherwise unlimited). Built once as a long table (`Estate.pairs`); every constraint is a group-by
  over it, never a loop over `Z × K × S`.
- `Aᵀ ⊆ A`: triples whose trip is within `k`'s travel standard `T[k]`.

## Data and units

| symbol | meaning | unit | input |
|---|---|---|---|
| `a[s]` | capacity: floor area less area kept for other uses | m² | `floor_area_m2 − other_use_m2` |
| `c[s]` | annual running cost | £/yr | `running_cost_gbp` |
| `b[s]` | backlog maintenance to clear if kept | £ | `backlog_gbp` |
| `v[s]` | disposal value net of disposal cost | £ | `disposal_value_gbp − disposal_cost_gbp` |
| `d[z,k]` | demand of zone `z` for service `k` | units | zones `demand_basis` × `demand_rate` |
| `σ[k]` | floor area per unit of demand | m²/unit | `space_m2_per_unit` |
| `T[k]` | travel standard | minutes | `max_travel_min` |
| `ρ[k]` | share of demand that must be within `T[k]` | 0..1 | `required_share` |
| `q[k,s]` | floor area `k` occupies at `s` today | m² | occupation `floor_area_m2` |
| `μ[k]` | smallest viable service point | m² | `min_site_m2` |
| `m[k]` | one-off move / fit-out cost | £/m² | `move_cost_gbp_per_m2` |
| `φ` | annuity factor `r / (1 − (1+r)^−n)` | 1/yr | scenario `discount_rate` (3.5%), `appraisal_years` (30) |
| `w` | value of travel time | £ per unit·min·yr | scenario `travel_weight_gbp_per_unit_min` |
| `t[z,s]` | travel time | minutes | straight line × detour ÷ speed, road network, or a given matrix |
| `t̄[z,k]` | today's mean trip of zone `z` to service `k` | minutes | the baseline allocation |
| `ω[o,s]` | organisation `o`'s share of site `s`'s receipt | 0..1 | scenario `receipts_sharing` |

## Variables

- `y[s] ∈ {0,1}`: site kept. Fixed to 1 for must-retain sites (and leaseholds running past
  `lease_exit_by`), to 0 for must-dispose sites.
- `h[k,s] ∈ {0,1}`: service `k` present at `s`. Where a site can host only one service and no
  incompatibility or viable size applies, `h[k,s]` is `y[s]` itself.
- `x[z,k,s] ∈ [0,1]`, `(z,k,s) ∈ A`: share of `d[z,k]` served at `s`.
- `g[k,s] ≥ 0`: floor area of `k` fitted out at `s` beyond what it has there today (services with a
  move cost only).

## Constraints

Each row of a family is named `<family>_<ids>` in the LP file, by the
inputs' own ids; PuLP writes `-` as `_`. Families 7a–7c are the Board limits, 9 and 10 are set only when
the scenario asks for them. When the solver proves a scenario infeasible, the diagnosis re-solves it with
a penalised slack on every row of each *elastic* family, each slack measured as a share of its own
requirement, and says in words which relaxations the cheapest such plan needs; *hard* families (physical
rules) stay as they are.

{model_families}

## Objective: annual equivalent cost (£/yr)

    min  Σ_s (c[s] + φ b[s]) y[s]  −  φ Σ_s v[s] (1 − y[s])  +  φ Σ_{k,s} m[k] g[k,s]
         + w Σ_{(z,k,s) ∈ A} d[z,k] t[z,s] x[z,k,s]

Running costs of kept sites, plus backlog and moves annualised over the appraisal period, minus
annualised receipts of disposed sites, plus (optionally) the value of residents' travel time.

When `w = 0` the cost optimum says nothing about which site serves which zone among those with room.
A second solve, a linear program, fixes the sites and services chosen and the move cost, and minimises
demand-weighted travel time: residents are sent to the nearest site that has room, at no extra cost.

## Reductions to the classic problems (known-answer tests)

- **Capacitated facility location** (OR-Library `cap*`): one service, `σ = 1`, `a[s]` = capacity,
  `c[s]` = fixed cost, `b = v = m = 0`, no catchment, `w = 1`, `t[z,s] = cost[z,s] / d[z]` (the file gives
  the cost of serving all of `z` from `s`). **Uncapacitated**: `σ = 0`.
- **p-median** (OR-Library `pmed*`): `c = 0`, `σ = 0`, `d = 1`, `w = 1`, `Σ_s y[s] = p`, `t` = all-pairs
  shortest path lengths.

`estate_opt/inputs/orlib.py` turns each file into the ordinary input tables; the tests then run the same
`build_estate → build_model → solve` path as any scenario and match the published optima
(cap41–cap134 capacitated and uncapacitated, pmed1–5).

## Solving honestly

The solver's own status is mapped to one vocabulary (`estate_opt.model.solve.Status`): `optimal` (proven
within the gap tolerance, default 1e-6), `feasible` (a plan stopped by the time limit; the proven gap
says how far from optimal it may be), `infeasible`, `unbounded`, `no_solution` (stopped before any plan),
`error`. PuLP calls a time-limited run "Optimal"; estate_opt reads HiGHS's model and primal solution
status and CBC's result line instead. The gap is `(objective − bound) / |objective|` with the
objective's constant included, and is reported with every plan. No plan is read from a run that
found none. An infeasible scenario is explained in words before the solve where the data show it
(zones no site can reach within a standard, too little space, limits contradicting flags), otherwise
by the elastic re-solve described under Constraints.

## Phasing: the programme over time (`phasing.horizon_years`)

The end state above, plus *when*, over programme years t = 0 … T−1 (calendar `start_year + t`);
actions at the start of a year, running costs counted at its end; δ_t = (1 + r)^−t.

| variable | meaning |
|---|---|
| `r[s,t] ∈ {0,1}` | site `s` released at the start of year `t` (only in its allowed years) |
| `f[k,s,t] ∈ {0,1}` | service `k` moves into (or is fitted out at) site `s` in year `t` |
| `g[k,s,t] ≥ 0` | fit-out area of that move (m²) |

{phase_families}

Objective, net present value (£):

    Σ_s c[s] (P_A y[s] + Σ_t P_t r[s,t]) + Σ_s b[s] y[s] − Σ_{s,t} v[s] δ_t r[s,t]
      + Σ_{k,s,t} m[k] δ_t g[k,s,t] + w P_A Σ d t x

with P_t = Σ_{τ=1..t} δ_τ and P_A = 1/φ.

With T = 1 every release is in year 0 and the NPV is exactly P_A times the annual equivalent cost, so the
programme reduces to the single-period plan (`tests/test_phasing.py`). Cash flows are reported over the
appraisal period against doing nothing (every site kept, every backlog cleared in year 0); their
discounted sum equals the NPV difference, which `verify` recomputes.
"""


if __name__ == "__main__":
    raise SystemExit(main())
