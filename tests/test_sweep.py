"""Search spaces as data: ``lrjit.grid`` and ``lrjit.random`` build one batched schedule from a template.

Each sweep is checked against the configs built one by one (the product order of ``itertools.product``,
the draws of NumPy's generator), shared leaves stay unbatched, nested paths reach sub-schedules, and bad
axes raise errors that name the axis and the value.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import lrjit


def _rows_equal_singles(sweep: lrjit.Schedule, singles: list[lrjit.Schedule], n: int = 300) -> None:
    rows = np.asarray(lrjit.curves(sweep, n))
    assert rows.shape == (len(singles), n)
    for row, single in zip(rows, singles, strict=True):
        want = np.asarray(lrjit.curves(single, n))
        np.testing.assert_allclose(row, want, rtol=1e-6, atol=1e-7 * float(np.abs(want).max()))


def test_grid_is_the_product_of_the_axes_in_order() -> None:
    lrs, alphas = [0.1, 0.3], [0.0, 0.1, 0.2]
    sweep = lrjit.grid(lrjit.CosineDecay(0.5, 200), initial_learning_rate=lrs, alpha=alphas)
    assert lrjit.batch_size(sweep) == 6
    assert sweep.decay_steps == 200  # not varied: shared, no config axis
    singles = [lrjit.CosineDecay(lr, 200, alpha=a) for lr, a in itertools.product(lrs, alphas)]
    assert lrjit.unstack(sweep) == singles
    _rows_equal_singles(sweep, singles)


def test_grid_reaches_nested_leaves_boundaries_and_pieces() -> None:
    template = lrjit.warmup(lrjit.CosineDecayRestarts(0.1, 50), 10)
    sweep = lrjit.grid(template, {"schedule.t_mul": [1.0, 2.0]}, steps=[5, 20])
    singles = [
        lrjit.warmup(lrjit.CosineDecayRestarts(0.1, 50, t_mul=t), w)
        for t, w in itertools.product([1.0, 2.0], [5, 20])
    ]
    assert lrjit.unstack(sweep) == singles
    _rows_equal_singles(sweep, singles)

    pieces = lrjit.sequence([lrjit.LinearLR(0.1, 0.1, 1.0, 20), lrjit.StepLR(0.1, 30)], [20])
    by_index = lrjit.grid(pieces, **{"schedules.1.gamma": [0.5, 0.9]})
    assert [s.schedules[1].gamma for s in lrjit.unstack(by_index)] == pytest.approx([0.5, 0.9])

    steps = lrjit.grid(
        lrjit.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]), boundaries=[[10, 20], [30, 40]]
    )
    assert steps.boundaries.shape == (2, 2)
    _rows_equal_singles(
        steps, [lrjit.PiecewiseConstantDecay(b, [0.1, 0.01, 0.001]) for b in ([10, 20], [30, 40])]
    )


def test_grid_over_a_family_class_and_a_spec_string() -> None:
    by_class = lrjit.grid(lrjit.StepLR, base_lr=[0.1, 0.2], step_size=[10, 20])
    assert lrjit.unstack(by_class) == [
        lrjit.StepLR(lr, s) for lr, s in itertools.product([0.1, 0.2], [10, 20])
    ]
    by_spec = lrjit.grid("warmup(CosineDecay(0.1, 100), 10)", **{"schedule.alpha": [0.0, 0.5]})
    assert lrjit.unstack(by_spec) == [
        lrjit.warmup(lrjit.CosineDecay(0.1, 100, alpha=a), 10) for a in (0.0, 0.5)
    ]


def test_random_draws_each_axis_reproducibly_and_shares_fixed_values() -> None:
    space = {
        "initial_learning_rate": lrjit.log_uniform(1e-4, 1.0),
        "decay_steps": lrjit.integers(10, 1000),
        "alpha": lrjit.uniform(0.0, 0.2),
        "warmup_steps": lrjit.choice([0, 50, 100]),
    }
    template = lrjit.CosineDecay(0.1, 100, warmup_target=0.5, warmup_steps=10)
    sweep = lrjit.random(template, 2000, 7, space, warmup_target=0.3)
    again = lrjit.random(template, 2000, 7, space, warmup_target=0.3)
    assert sweep == again and sweep != lrjit.random(template, 2000, 8, space, warmup_target=0.3)
    assert float(sweep.warmup_target) == pytest.approx(0.3) and np.ndim(sweep.warmup_target) == 0
    lr = np.asarray(sweep.initial_learning_rate, np.float64)
    assert (
        lr.min() >= 1e-4 * (1 - 1e-6)
        and lr.max() <= 1.0
        and np.median(np.log10(lr)) == pytest.approx(-2, abs=0.3)
    )
    assert set(np.unique(sweep.decay_steps)) <= set(range(10, 1001)) and sweep.decay_steps.min() < 50
    assert set(np.unique(sweep.warmup_steps)) == {0, 50, 100}
    rng = np.random.default_rng(7)  # the axes are drawn in the order given
    np.testing.assert_allclose(lr, np.exp(rng.uniform(np.log(1e-4), 0.0, 2000)), rtol=1e-6)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: lrjit.grid(lrjit.CosineDecay(0.1, 10), decay_step=[5]),
            "no field 'decay_step'; did you mean `decay_steps`",
        ),
        (
            lambda: lrjit.grid(lrjit.CosineDecay(0.1, 10), decay_steps=[10, -1]),
            r"axis 'decay_steps'.*got -1 \(at index 1\)",
        ),
        (lambda: lrjit.grid(lrjit.OneCycleLR(0.1, 10), anneal_strategy=["cos"]), "static field"),
        (lambda: lrjit.grid(lrjit.CosineDecay(0.1, 10), alpha=[]), "non-empty list"),
        (lambda: lrjit.grid(lrjit.CosineDecay(0.1, 10), {"alpha": [0.1]}, alpha=[0.2]), "given twice"),
        (lambda: lrjit.grid(lrjit.CosineDecay, alpha=[0.1]), "give every field without a default"),
        (
            lambda: lrjit.random(lrjit.CosineDecay(0.1, 10), 4, 0, alpha=lrjit.uniform(0, 2)),
            r"axis 'alpha'.*\[0, 1\]",
        ),
        (lambda: lrjit.random(lrjit.CosineDecay(0.1, 10), 0, 0, alpha=0.1), "n must be an integer >= 1"),
        (lambda: lrjit.log_uniform(0.0, 1.0), "low must be > 0"),
        (lambda: lrjit.integers(1.5, 3), "must be integers"),
        (
            lambda: lrjit.grid(
                lrjit.sequence([lrjit.LinearLR(0.1), lrjit.StepLR(0.1, 3)], [5]),
                **{"schedules.2.gamma": [0.5]},
            ),
            "not an index of 2",
        ),
    ],
)
def test_bad_axes_name_the_axis_and_the_value(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]
