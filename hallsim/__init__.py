"""hallsim: simulate government service halls (政务服务大厅) and compare layouts.

Python API (units: minutes; see README):

    import hallsim
    sc = hallsim.load_scenario("scenarios/integrated.toml")
    one = hallsim.simulate(sc, seed=1)                  # one replication
    exp = hallsim.run_replications(sc, replications=20)  # tidy DataFrames + summary
    exp = hallsim.run_replications("scenarios/integrated.toml", replications=20)  # a path works
    cmp = hallsim.compare(["scenarios/dedicated.toml", sc], replications=20)  # paired, CRN
    df = hallsim.run_sweep(sc, {"windows.0.count": [8, 9, 10]}, replications=10)

``run_experiment`` is the old name of ``run_replications`` (deprecated: it warns).

Bad arguments raise ValueError or TypeError (ScenarioError, a ValueError, for a
bad scenario), with the same limits and words as the command line.
"""

__version__ = "0.1.0"

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hallsim.comparison import Comparison, compare
    from hallsim.experiment import ExperimentResult, run_replications, simulate
    from hallsim.scenario import Scenario, ScenarioError, load_scenario
    from hallsim.sweep import run_sweep

    run_experiment = run_replications

# The public API loads on first use (PEP 562), so that ``import hallsim.cli``
# stays free of pandas, scipy and simpy and ``hallsim --help`` starts fast.
_API = {
    "ExperimentResult": ("hallsim.experiment", "ExperimentResult"),
    "run_replications": ("hallsim.experiment", "run_replications"),
    "compare": ("hallsim.comparison", "compare"),
    "Comparison": ("hallsim.comparison", "Comparison"),
    "simulate": ("hallsim.experiment", "simulate"),
    "Scenario": ("hallsim.scenario", "Scenario"),
    "ScenarioError": ("hallsim.scenario", "ScenarioError"),
    "load_scenario": ("hallsim.scenario", "load_scenario"),
    "run_sweep": ("hallsim.sweep", "run_sweep"),
}

__all__ = [
    "Comparison",
    "ExperimentResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "load_scenario",
    "run_replications",
    "run_sweep",
    "simulate",
]


def __getattr__(name: str) -> Any:
    if name == "run_experiment":  # the old name: one function, one name
        import warnings

        warnings.warn(
            "hallsim.run_experiment is deprecated: use hallsim.run_replications",
            DeprecationWarning,
            stacklevel=2,
        )
        return __getattr__("run_replications")
    if name in _API:
        module, attr = _API[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value  # later look-ups skip this function
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        # ``import hallsim`` then ``hallsim.theory.mmc(...)``: submodules load on first use
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
