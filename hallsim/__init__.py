"""hallsim: simulate government service halls (政务服务大厅) and compare layouts.

Python API (units: minutes; see README):

    import hallsim
    sc = hallsim.load_scenario("scenarios/integrated.toml")
    one = hallsim.simulate(sc, seed=1)                # one replication
    exp = hallsim.run_experiment(sc, replications=20)  # tidy DataFrames + summary
    exp = hallsim.run_experiment("scenarios/integrated.toml", replications=20)  # a path works too
    df = hallsim.run_sweep(sc, {"windows.0.count": [8, 9, 10]}, replications=10)

Bad arguments raise ValueError or TypeError (ScenarioError, a ValueError, for a
bad scenario), with the same limits and words as the command line.
"""

__version__ = "0.1.0"

from hallsim.experiment import ExperimentResult, run_replications, simulate
from hallsim.scenario import Scenario, ScenarioError, load_scenario
from hallsim.sweep import run_sweep

run_experiment = run_replications

__all__ = [
    "ExperimentResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "run_experiment",
    "run_replications",
    "run_sweep",
    "simulate",
]
