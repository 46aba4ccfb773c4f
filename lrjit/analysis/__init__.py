"""Schedule analytics: predict a training run's loss curve from its learning-rate schedule.

Two published laws give the validation loss of a run as a function of its learning rates alone, once
their few parameters are fitted to one or two runs:

* :class:`AnnealingLaw` (Tissue, Wang and Wang 2024, arXiv:2408.11029, Eq. 1): ``L = L0 + A *
  S1**(-alpha) - C * S2``, with the forward area S1 and the annealing area S2 (:func:`areas`).
* :class:`MultiPowerLaw` (Luo et al., ICLR 2025, arXiv:2503.12811): ``L = L0 + A * S1**(-alpha) -
  LD``, a power law in the summed rates minus a saturating loss drop per decrease of the rate.

The workflow::

    from lrjit import analysis
    result = analysis.fit(analysis.AnnealingLaw, [(schedule, steps, losses), ...])   # observed runs
    law = result.law                                       # result.converged, result.objective
    law.predict(other_schedule, steps)                     # the loss curve of an unseen schedule
    analysis.rank(law, lrjit.grid(template, ...), total_steps)        # a search space, best first
    analysis.optimize(law, schedule, ["warmup_target", "alpha"], total_steps=N, max_peak=3e-4)

Conventions (:mod:`lrjit.analysis.areas` has the details): step ``k`` is the update made with
``schedule(k)``; a value *at step s* is the one after that update (``S1(s) = sum_{k<=s} eta(k)``);
``warmup=W`` names the step of the peak, after which drops of the rate count; rates are used as they
are. Host results (:func:`areas`, ``law.predict``, :func:`fit`) are float64; ``law.final_loss``,
:func:`rank` and :func:`optimize` run traced, in the schedule's dtype.

Modules: :mod:`lrjit.analysis.areas` (S1, S2 and their traceable building blocks; note that the
package attribute ``lrjit.analysis.areas`` is the function: import the module's other names with
``from lrjit.analysis.areas import ...``), :mod:`lrjit.analysis.laws`, :mod:`lrjit.analysis.fit`,
:mod:`lrjit.analysis.search`.
"""

from lrjit.analysis.areas import Areas, areas
from lrjit.analysis.fit import FitResult, FitWarning, fit
from lrjit.analysis.laws import AnnealingLaw, Law, MultiPowerLaw
from lrjit.analysis.search import Optimized, Ranking, optimize, rank

__all__ = [
    "AnnealingLaw",
    "Areas",
    "FitResult",
    "FitWarning",
    "Law",
    "MultiPowerLaw",
    "Optimized",
    "Ranking",
    "areas",
    "fit",
    "optimize",
    "rank",
]
