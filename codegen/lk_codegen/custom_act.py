"""What the run-time custom activations (LearnKit.register_activation, gdextension/src/core/custom_activation.*)
need from the generator, so that they cannot drift from the built-in catalogue:

    custom_act.hpp      the dialect's tables for the C++ checker (core/expr_check.cpp): the lk_* helpers with
                        their arity (dialect.read_helpers) and the words a parameter name may not take
                        (catalogue._RESERVED_PARAMS); and the GLSL of the act_forward / act_backward kernels
                        rendered from the SAME family templates as the built-in variants, with placeholders
                        that core/custom_activation.cpp replaces by the user's expressions and parameter names.
    custom_act_cpu.cpp  the lk_* helpers applied over a block of values (one loop per helper call), for the CPU
                        evaluator (core/expr_eval.cpp): the same C++ text of templates/kernels/_math.inc.j2 the
                        CPU kernels compile.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jinja2

from . import catalogue
from .catalogue import Catalogue

# Placeholders spliced into the rendered kernels at run time (never valid dialect: '@' is not a token).
FORWARD = "@LK_FORWARD@"
DERIVATIVE = "@LK_DERIVATIVE@"
PARAM = "@LK_P{k}@"


@dataclass(frozen=True)
class _Placeholder:
    """Duck-types catalogue.Activation for templates/kernels/_activation.glsl.j2."""
    name: str = "custom"
    doc: str = "an activation registered at run time (LearnKit.register_activation)"
    params: dict[str, float] = field(default_factory=lambda: {
        PARAM.format(k=k): 0.0 for k in range(catalogue.ACT_PARAM_SLOTS)})
    forward: str = FORWARD
    derivative: str = DERIVATIVE


def render(cat: Catalogue, env: jinja2.Environment, stamp: Any, guard_slot: int,
           families: dict[str, Any], sumsq_partials: int) -> dict[str, str]:
    """Relative output path -> text."""
    glsl = {}
    for fam in ("act_forward", "act_backward"):
        family = families[fam]
        glsl[fam] = env.get_template(family.template).render(
            kernel=f"{fam}_custom", family=family, stamp=stamp(family.template), guard_slot=guard_slot,
            sumsq_partials=sumsq_partials, act=_Placeholder())
    helpers = sorted(catalogue.read_helpers().items())
    context = {"helpers": helpers, "reserved": sorted(catalogue._RESERVED_PARAMS - {"x", "y"}),
               "glsl": glsl, "forward": FORWARD, "derivative": DERIVATIVE,
               "param": PARAM.format(k="%d"), "slots": catalogue.ACT_PARAM_SLOTS, "delimiter": "lkglsl"}
    return {out: env.get_template(template).render(stamp=stamp(template), **context)
            for out, template in (("custom_act.hpp", "cpu/custom_act.hpp.j2"),
                                  ("custom_act_cpu.cpp", "cpu/custom_act_cpu.cpp.j2"))}
