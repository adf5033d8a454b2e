"""Backpropagation with real numbers, one idea per module (this module only gathers their names):

* :mod:`explain.chain_rule`: the chain rule on a tiny network by hand next to torch.autograd, and why
  ``backward()`` needs a scalar;
* :mod:`explain.gradcheck`: a finite-difference check of one weight of the real model;
* :mod:`explain.descent`: derivative, differential, gradient and gradient descent on a two-variable loss surface;
* :mod:`explain.layer_backward`: one layer's local backward by the textbook formulas, from what the trace
  recorded, next to torch.autograd.grad of the layer alone.

New code imports from those modules; ``from explain import backprop as bp`` keeps working for every name.
"""

from __future__ import annotations

from explain.chain_rule import (
    MAX_VECTOR,
    ChainRule,
    ChainStep,
    ScalarDemo,
    TinyNet,
    VectorInputError,
    chain_rule,
    parse_vector,
    scalar_backward_demo,
)
from explain.descent import (
    BOWL_LAMBDAS,
    DIVERGE_AT,
    SURFACES,
    DescentPath,
    Differential,
    Surface,
    SurfaceGrid,
    SurfaceKey,
    Verdict,
    critical_lr,
    differential,
    gradient_at,
    gradient_descent,
    surface_grid,
    value_at,
)
from explain.gradcheck import (
    DEFAULT_HS,
    IMAGENET_HS,
    FDCheck,
    FDRow,
    check_traced_weight,
    finite_difference,
    float64_copy,
    largest_grad_index,
    loss_of,
    relative_error,
)
from explain.layer_backward import (
    ELEMENTWISE,
    FORMULA_FAMILY,
    HAND_KINDS,
    IDENTITY_KINDS,
    MAX_HAND_WEIGHT,
    LocalGrad,
    hand_backward,
    layer_backward,
    local_backward,
    record_backward,
)

__all__ = [
    "BOWL_LAMBDAS", "DEFAULT_HS", "DIVERGE_AT", "ELEMENTWISE", "FORMULA_FAMILY", "HAND_KINDS", "IDENTITY_KINDS",
    "IMAGENET_HS", "MAX_HAND_WEIGHT", "MAX_VECTOR", "SURFACES", "ChainRule", "ChainStep", "DescentPath",
    "Differential", "FDCheck", "FDRow", "LocalGrad", "ScalarDemo", "Surface", "SurfaceGrid", "SurfaceKey", "TinyNet",
    "VectorInputError", "Verdict", "chain_rule", "check_traced_weight", "critical_lr", "differential",
    "finite_difference", "float64_copy", "gradient_at", "gradient_descent", "hand_backward", "largest_grad_index",
    "layer_backward", "local_backward", "loss_of", "parse_vector", "record_backward", "relative_error",
    "scalar_backward_demo", "surface_grid", "value_at",
]
