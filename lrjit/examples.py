"""One representative config per family: the demo's table and gallery, and the docs' examples."""

from __future__ import annotations

import lrjit
from lrjit.core import Schedule

__all__ = ["EXAMPLE_STEPS", "examples"]

EXAMPLE_STEPS = 10_000


def examples() -> dict[str, Schedule]:
    """A representative config of every family, keyed by family name, over ``EXAMPLE_STEPS`` steps."""
    n = EXAMPLE_STEPS
    return {
        "CosineDecay": lrjit.CosineDecay(0.0, n - 1000, alpha=0.05, warmup_target=0.1, warmup_steps=1000),
        "CosineDecayRestarts": lrjit.CosineDecayRestarts(0.1, 1000, t_mul=2.0, m_mul=0.8, alpha=0.01),
        "ExponentialDecay": lrjit.ExponentialDecay(0.1, 1000, 0.7, staircase=True),
        "InverseTimeDecay": lrjit.InverseTimeDecay(0.1, 1000, 0.5),
        "PiecewiseConstantDecay": lrjit.PiecewiseConstantDecay([3000, 6000, 8000], [0.1, 0.03, 0.01, 0.003]),
        "PolynomialDecay": lrjit.PolynomialDecay(0.1, 3000, end_learning_rate=0.001, power=2.0, cycle=True),
        "NaturalExpDecay": lrjit.NaturalExpDecay(0.1, 1000, 0.3),
        "LinearCosineDecay": lrjit.LinearCosineDecay(0.1, n, num_periods=4.0, alpha=0.0, beta=0.001),
        "NoisyLinearCosineDecay": lrjit.NoisyLinearCosineDecay(
            0.1, n, initial_variance=0.05, variance_decay=0.55, num_periods=4.0, key=0
        ),
        "FactorScheduler": lrjit.FactorScheduler(
            2000, 0.5, base_lr=0.1, warmup_steps=500, warmup_begin_lr=0.01
        ),
        "MultiFactorScheduler": lrjit.MultiFactorScheduler([4000, 7000, 9000], 0.3, base_lr=0.1),
        "PolyScheduler": lrjit.PolyScheduler(n, base_lr=0.1, pwr=2.0, final_lr=0.001, warmup_steps=800),
        "CosineScheduler": lrjit.CosineScheduler(n, base_lr=0.1, final_lr=0.001, warmup_steps=800),
        "SquareRootScheduler": lrjit.SquareRootScheduler(0.1),
        "CosineLRScheduler": lrjit.CosineLRScheduler(
            0.1,
            3000,
            lr_min=1e-4,
            cycle_mul=2.0,
            cycle_decay=0.5,
            cycle_limit=2,
            warmup_t=500,
            warmup_prefix=True,
        ),
        "TanhLRScheduler": lrjit.TanhLRScheduler(
            0.1, n - 500, lr_min=1e-4, warmup_t=500, warmup_lr_init=0.001
        ),
        "PolyLRScheduler": lrjit.PolyLRScheduler(
            0.1,
            4000,
            power=2.0,
            cycle_limit=2,
            cycle_decay=0.5,
            k_decay=1.5,
            noise_range_t=2000,
            noise_pct=0.1,
        ),
        "WarmupStableDecay": lrjit.WarmupStableDecay(
            0.1, 1000, 6000, 3000, decay_type="1-sqrt", min_lr_ratio=0.01
        ),
        "InverseSqrt": lrjit.InverseSqrt(0.1, 1000),
        "CosineWithMinLR": lrjit.CosineWithMinLR(0.1, 500, n, min_lr_rate=0.1),
        "CosineWithHardRestarts": lrjit.CosineWithHardRestarts(0.1, 500, n, num_cycles=3),
        "PolynomialWithWarmup": lrjit.PolynomialWithWarmup(0.1, 500, n - 1000, lr_end=1e-4, power=2.0),
        "Triangular": lrjit.Triangular(0.1, 0.001, 2500, lr_shrink=0.7),
        "TriStage": lrjit.TriStage(0.1, 1000, 3000, 5000, init_lr_scale=0.01, final_lr_scale=0.05),
        "StepLR": lrjit.StepLR(0.1, step_size=2500, gamma=0.3),
        "MultiStepLR": lrjit.MultiStepLR(0.1, milestones=[4000, 7000, 7000], gamma=0.5),
        "ConstantLR": lrjit.ConstantLR(0.1, factor=0.25, total_iters=3000),
        "LinearLR": lrjit.LinearLR(0.1, start_factor=0.01, end_factor=1.0, total_iters=2000),
        "ExponentialLR": lrjit.ExponentialLR(0.1, gamma=0.9997),
        "PolynomialLR": lrjit.PolynomialLR(0.1, total_iters=n, power=2.0),
        "CosineAnnealingLR": lrjit.CosineAnnealingLR(0.1, T_max=4000, eta_min=0.001),
        "CosineAnnealingWarmRestarts": lrjit.CosineAnnealingWarmRestarts(
            0.1, T_0=1000, T_mult=2, eta_min=0.001
        ),
        "CyclicLR": lrjit.CyclicLR(0.001, 0.1, step_size_up=1000, mode="triangular2"),
        "OneCycleLR": lrjit.OneCycleLR(0.1, total_steps=n, pct_start=0.3),
        "OneCycleMomentum": lrjit.OneCycleMomentum(total_steps=n, pct_start=0.3),
        "FactorSchedule": lrjit.FactorSchedule(
            "constant * linear_warmup * cosine_decay",
            base_learning_rate=0.1,
            warmup_steps=1000,
            steps_per_cycle=4500,
        ),
        "Noam": lrjit.Noam(learning_rate=0.1, hidden_size=512, warmup_steps=1000),
        "WarmupLR": lrjit.WarmupLR(0.0, 0.1, 1000),
        "WarmupDecayLR": lrjit.WarmupDecayLR(n, 0.0, 0.1, 1000, warmup_type="linear"),
        "WarmupCosineLR": lrjit.WarmupCosineLR(0.1, n, 0.01, 1000, cos_min_ratio=0.01),
        "OneCycle": lrjit.OneCycle(
            0.01, 0.1, 0.5, 3000, 4000, cycle_first_stair_count=10, decay_step_size=500
        ),
        "LRRangeTest": lrjit.LRRangeTest(0.001, 1000, 1.0, lr_range_test_staircase=True),
        "OneCycleMom": lrjit.OneCycleMom(0.85, 0.95, 0.05, 3000, 4000, decay_step_size=500),
        "MaxTextSchedule": lrjit.MaxTextSchedule(
            0.1, n, warmup_steps=1000, lr_schedule_type="wsd", wsd_decay_steps=2000, wsd_decay_style="cosine"
        ),
        "BigVisionSchedule": lrjit.BigVisionSchedule(
            n, 0.1, "rsqrt", warmup_steps=1000, cooldown_steps=2000, timescale=1000.0
        ),
        "LevanterSchedule": lrjit.LevanterSchedule(0.1, 500, 3000, 6500, 0.05, "inv_sqrt", timescale=800.0),
        "PiecewiseInterpolate": lrjit.PiecewiseInterpolate("cosine", 0.004, [3000, n], [25.0, 4e-4]),
        # praxis: multipliers of the optimizer's learning_rate (base_lr)
        "LinearRampupPolynomialDecay": lrjit.LinearRampupPolynomialDecay(
            1000, 2000, n, power=2, min_ratio=0.05, max=1.0, base_lr=0.1
        ),
        "LinearRampupCosineDecay": lrjit.LinearRampupCosineDecay(1000, 1000, n, 0.05, 1.0, base_lr=0.1),
        "LinearRampupExponentialDecay": lrjit.LinearRampupExponentialDecay(
            1000, 3000, n, 0.01, 1.0, base_lr=0.1
        ),
        "LinearRampupPiecewiseConstant": lrjit.LinearRampupPiecewiseConstant(
            [1000, 5000, 8000], [1.0, 0.3, 0.1], base_lr=0.1
        ),
        "PiecewiseConstant": lrjit.PiecewiseConstant([3000, 6000, 8000], [1.0, 0.3, 0.1, 0.03], base_lr=0.1),
        "Transformer": lrjit.Transformer(warmup_steps=1000, model_dim=512, decay_end=8000),
        "SqrtDecay": lrjit.SqrtDecay(decay_start=1000, multiplier=3.0),
        "LinearRampupSqrtDecay": lrjit.LinearRampupSqrtDecay(peak=1.0, warmup_steps=1000, base_lr=0.1),
        "Cosine": lrjit.Cosine(1.0, 0.1, total_steps=n, base_lr=0.1),
        "ContinuousSchedule": lrjit.ContinuousSchedule(1.0, 2000, 1500, min=0.05, base_lr=0.1),
        "PiecewiseLinearScheduler": lrjit.PiecewiseLinearScheduler([1000, 6000, 9000], [0.5, 0.3, 0.02]),
        # NeMo: NeMo's warmup (step + 1) / (W + 1), min_lr past max_steps
        "WarmupPolicy": lrjit.WarmupPolicy(0.1, 1000, max_steps=8000, min_lr=0.01),
        "WarmupHoldPolicy": lrjit.WarmupHoldPolicy(0.1, 7000, 1000, hold_steps=8000, min_lr=0.01),
        "SquareAnnealing": lrjit.SquareAnnealing(0.1, n - 1000, 1000, min_lr=0.005),
        "SquareRootAnnealing": lrjit.SquareRootAnnealing(0.1, n - 1000, 1000, min_lr=0.005),
        "CosineAnnealing": lrjit.CosineAnnealing(0.1, n, 1000, constant_steps=1500, min_lr=0.01),
        "NoamAnnealing": lrjit.NoamAnnealing(2.0, 256, 1000, min_lr=1e-4),
        "NoamHoldAnnealing": lrjit.NoamHoldAnnealing(0.1, n, 1000, 2000, decay_rate=1.0, min_lr=0.01),
        "WarmupAnnealing": lrjit.WarmupAnnealing(0.1, n - 1000, 1000, min_lr=0.01),
        "InverseSquareRootAnnealing": lrjit.InverseSquareRootAnnealing(0.1, n - 1000, 500, min_lr=0.005),
        "T5InverseSquareRootAnnealing": lrjit.T5InverseSquareRootAnnealing(n - 1000, 1000, min_lr=0.005),
        "PolynomialDecayAnnealing": lrjit.PolynomialDecayAnnealing(0.1, n - 1000, 1000, 0.001, power=2.0),
        "PolynomialHoldDecayAnnealing": lrjit.PolynomialHoldDecayAnnealing(
            0.1, n - 1000, 1000, 2000, 0.001, power=2.0
        ),
        # compositions
        "Constant": lrjit.Constant(0.05),
        "Warmup": lrjit.warmup(
            lrjit.CosineDecayRestarts(0.1, 2000, t_mul=2.0, m_mul=0.7), 1000, start=0.001, shape="cosine"
        ),
        "Sequence": lrjit.sequence(
            [
                lrjit.LinearLR(0.1, 0.01, 1.0, 1000),
                lrjit.ConstantLR(0.1, 1.0, 0),
                lrjit.CosineDecay(0.1, 5000),
            ],
            [1000, 5000],
        ),
        "StackedSequence": lrjit.sequence(
            [lrjit.CosineDecay(0.1 * 0.7**i, 2000, alpha=0.1) for i in range(5)], [2000, 4000, 6000, 8000]
        ),
        "Sum": lrjit.ExponentialDecay(0.1, 2000, 0.3) + 0.01,
        "Difference": lrjit.Constant(0.1) - lrjit.LinearLR(0.09, 0.01, 1.0, n),
        "Product": lrjit.Repeat(lrjit.CosineDecay(0.1, 2500), 2500)
        * lrjit.ExponentialDecay(1.0, 2500, 0.6, staircase=True),
        "Quotient": lrjit.Constant(0.01) / lrjit.LinearLR(1.0, 0.1, 1.0, n),
        "Minimum": lrjit.minimum(lrjit.InverseSqrt(0.2, 500), 0.05),
        "Maximum": lrjit.maximum(lrjit.ExponentialLR(0.1, 0.999), 0.005),
        "Clip": lrjit.clip(lrjit.CyclicLR(0.0, 0.1, 1250, mode="exp_range", gamma=0.9998), 0.01, 0.08),
        "Offset": lrjit.Offset(lrjit.CosineDecay(0.1, 20_000), 10_000),
        "Hold": lrjit.Hold(lrjit.CosineDecay(0.1, n), 6000),
        "Repeat": lrjit.Repeat(lrjit.warmup(lrjit.CosineDecay(0.1, 2000), 500), 2500),
        "PerEpoch": lrjit.PerEpoch(lrjit.StepLR(0.1, step_size=3, gamma=0.5), steps_per_epoch=n // 10),
        "LinearWithWarmup": lrjit.LinearWithWarmup(0.1, 500, n),
        "ConstantWithWarmup": lrjit.ConstantWithWarmup(0.1, 500),
        "CosineWarmupWithMinLR": lrjit.CosineWarmupWithMinLR(
            0.1, 500, n, min_lr_rate=0.1, warmup_lr_rate=0.1
        ),
        "WSDLRScheduler": lrjit.WSDLRScheduler(
            0.1, n - 500, 2000, lr_min=1e-3, stable_fn="rsqrt", warmup_t=500
        ),
    }
