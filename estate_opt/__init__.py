"""estate_opt: exact co-location and disposal plans for an area's whole public estate.

The steps, each usable on its own::

    from estate_opt import load_scenario, load_estate, build_model, solve, run_scenario
    sc = load_scenario("scenarios/trafford.yaml")
    plan, folder = run_scenario(sc, "runs/trafford")
"""

from estate_opt._version import __version__
from estate_opt.inputs.estate import Estate, build_estate, load_estate  # noqa: E402
from estate_opt.inputs.scenario import Scenario, load_scenario  # noqa: E402
from estate_opt.model.formulation import ModelOptions, build_model  # noqa: E402
from estate_opt.model.solve import SolveResult, Status, solve  # noqa: E402
from estate_opt.run import run_scenario, solve_estate  # noqa: E402

__all__ = ["__version__", "Estate", "ModelOptions", "Scenario", "SolveResult", "Status", "build_estate", "build_model",
           "load_estate", "load_scenario", "run_scenario", "solve", "solve_estate"]
