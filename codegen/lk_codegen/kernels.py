"""Expands the kernel catalogue (codegen/spec/*.yaml) into GLSL compute shaders and the C++ kernel library.

Kernel families are the unit of code: one GLSL template per family (templates/kernels/<family>.glsl.j2), and the
catalogue's entries are plugged into them as variants (dense_forward_relu, loss_cce_fused, optimizer_step_adam,
...). The push-constant slot layout of each family is declared once, in FAMILIES below: it becomes the `P_*`
macros of the shaders and the `slot::` constants the C++ builders (gdextension/src/core/kernel_builders.cpp,
hand-written) and the CPU backend use. The builders pick a family's variant through the generated lookups
(dense_forward_variant, loss_variant, ...), so they never spell a catalogue entry.

Outputs, all under the output directory (build/gen/kernels/), stamped as generated:
    kernels.hpp / kernels.cpp   enums, info tables, host helpers, embedded GLSL, variant lookups
    kernel_slots.hpp            push-constant slot indices and workgroup widths (builders and CPU backend only)
    optimizer_host.hpp / .cpp   the optimizers' host side: hyperparameters by name, checks, states, host scalars
    initializers.hpp / .cpp     the initializers' parameters and distributions (drawn by core/init.cpp)
    param_checks.hpp / .cpp     the activations' and losses' parameter rules (their spec `checks`)
    cpu_kernels.cpp             the CPU backend, run_cpu()
    glsl/<kernel>.comp          every shader, also embedded in kernels.cpp (for glslangValidator and diffs)
    activations.md, losses.md, optimizers.md, initializers.md
                                the reference pages (formulas, parameters, defaults, torch equivalents)

Example:
    >>> from pathlib import Path
    >>> from lk_codegen import kernels
    >>> paths = kernels.generate(Path("build/gen/kernels"))   # doctest: +SKIP
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from . import catalogue, custom_act, initializers
from .catalogue import Catalogue
from .output import REPO, TEMPLATES, environment, stamp, write_if_changed

# Workgroups of grad_sumsq, hence partial sums the optimizer's clipping reads. Fixed, so the reduction is
# deterministic (no atomics) and the optimizer knows how many partials to add.
SUMSQ_PARTIALS = 64
# Push-constant uint slot the builders never set (always 0): the shaders' impossible-condition guard.
GUARD_SLOT = 15
_GLSL_DELIMITER = "lkglsl"
# GEMM tile sizes (C tile edge, kernel-name suffix): every layer GEMM exists in each, small first. The C++
# builders pick one by the size of C (gemm_big in core/kernel_builders.cpp).
GEMM_TILES = ((64, ""), (128, "_t128"))
# Float push slots of an activation's parameters (act_p0, act_p1, ...), in every family that applies one.
# Parameter k of an entry (spec order) travels in act_p<k>; an activation function reads only its own, so a
# family pays nothing for the slots its activation leaves unused.
ACT_SLOTS = tuple(f"act_p{k}" for k in range(catalogue.ACT_PARAM_SLOTS))
# Float push slots of a loss's parameters (loss_p0, ...): parameter k of a losses.yaml entry in loss_p<k>.
LOSS_SLOTS = tuple(f"loss_p{k}" for k in range(catalogue.LOSS_PARAM_SLOTS))
assert len(GEMM_TILES) == 2, "the variant lookups take `bool big`: exactly a small and a big tile"


@dataclass(frozen=True)
class Family:
    """A kernel family: one GLSL template, one push-constant layout, one workgroup size."""
    name: str
    u: tuple[str, ...]
    f: tuple[str, ...] = ()
    local_size: tuple[int, int, int] = (256, 1, 1)

    def __post_init__(self) -> None:
        assert len(self.u) <= GUARD_SLOT and len(self.f) <= 16, f"family {self.name}: too many push slots"
        # u and f slots (and WORKGROUP_X) share one C++ namespace, slot::<family>, and the P_* macro names
        names = [n.upper() for n in (*self.u, *self.f, "workgroup_x")]
        assert len(set(names)) == len(names), f"family {self.name}: slot names collide: {names}"

    @property
    def template(self) -> str:
        return f"kernels/{self.name}.glsl.j2"


@dataclass(frozen=True)
class Variant:
    """One kernel: a family with the catalogue entries it is specialised for (template variables)."""
    name: str
    family: Family
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def enum_name(self) -> str:
        return self.name.upper()


def families(cat: Catalogue) -> dict[str, Family]:
    """Every family with its push slots."""
    fams = [
        Family("noop", (), (), (1, 1, 1)),
        Family("gather_rows", ("src_off", "dst_off", "idx_off", "idx_start", "rows", "row_len")),
        # C[rows x cols] = A'[rows x inner] . B'[inner x cols] + epilogue; see gemm.glsl.j2. `accumulate` is
        # read by the store and derivative epilogues only (C += result).
        Family("gemm", ("a_off", "b_off", "c_off", "bias_off", "z_off", "y_off", "rows", "cols", "inner",
                        "accumulate"), ACT_SLOTS, (16, 16, 1)),
        Family("act_forward", ("x_off", "y_off", "count"), ACT_SLOTS),
        Family("softmax_rows", ("z_off", "y_off", "rows", "cols"), (), (64, 1, 1)),
        # reduce_sum: 1 for reduction 'sum' (normaliser 1), 0 for the entry's mean (`normalizer`).
        Family("loss", ("y_off", "z_off", "t_off", "g_off", "loss_off", "rows", "cols", "reduce_sum"), LOSS_SLOTS),
        Family("act_backward", ("g_off", "z_off", "y_off", "out_off", "count", "accumulate"), ACT_SLOTS),
        Family("softmax_backward", ("g_off", "y_off", "out_off", "rows", "cols", "accumulate"), (), (64, 1, 1)),
        Family("bias_grad", ("g_off", "db_off", "rows", "cols", "accumulate"), (), (64, 1, 1)),
        Family("fill", ("off", "count"), ("value",)),
        Family("add", ("a_off", "b_off", "out_off", "count")),
        Family("copy", ("x_off", "out_off", "count", "accumulate")),
        # Forward and backward are the same masked scaling (the backward recomputes the mask from the seed).
        Family("dropout", ("x_off", "out_off", "count", "seed_lo", "seed_hi", "accumulate"),
               ("drop_prob", "scale")),
        # Normalisations: one thread per reduced line (a column for batch norm, a row for layer norm), except
        # batchnorm_forward_eval, which has nothing to reduce (one thread per element).
        Family("batchnorm_forward_train", ("x_off", "gamma_off", "beta_off", "y_off", "mean_off", "invstd_off",
                                           "run_mean_off", "run_var_off", "rows", "cols", "affine"),
               ("eps", "momentum"), (64, 1, 1)),
        Family("batchnorm_forward_eval", ("x_off", "gamma_off", "beta_off", "y_off", "run_mean_off", "run_var_off",
                                          "rows", "cols", "affine"), ("eps",)),
        Family("batchnorm_backward", ("g_off", "x_off", "gamma_off", "mean_off", "invstd_off", "dx_off",
                                      "dgamma_off", "dbeta_off", "rows", "cols", "affine", "accumulate_dx",
                                      "accumulate_params"), (), (64, 1, 1)),
        Family("layernorm_forward", ("x_off", "gamma_off", "beta_off", "y_off", "mean_off", "rstd_off", "rows",
                                     "cols", "affine"), ("eps",), (64, 1, 1)),
        Family("layernorm_backward_input", ("g_off", "x_off", "gamma_off", "mean_off", "rstd_off", "dx_off", "rows",
                                            "cols", "affine", "accumulate"), (), (64, 1, 1)),
        Family("layernorm_backward_params", ("g_off", "x_off", "mean_off", "rstd_off", "dgamma_off", "dbeta_off",
                                             "rows", "cols", "accumulate"), (), (64, 1, 1)),
        # PReLU (core/ops/prelu.cpp): slope w[shared ? 0 : i % cols]. The parameter gradient is one workgroup
        # per slope, reducing over its elements in shared memory (no atomics: deterministic).
        Family("prelu_forward", ("x_off", "w_off", "y_off", "count", "cols", "shared")),
        Family("prelu_backward_input", ("g_off", "x_off", "w_off", "out_off", "count", "cols", "shared",
                                        "accumulate")),
        Family("prelu_backward_param", ("g_off", "x_off", "dw_off", "rows", "cols", "shared", "accumulate"), (),
               (64, 1, 1)),
        Family("grad_sumsq", ("g_off", "count", "partial_off")),
        # f[0] is max_norm; f[1..15] are per variant: the names its update reads (Optimizer.push_names),
        # filled by optimizer_floats() (generated optimizer_host.cpp).
        Family("optimizer_step", ("p_off", "g_off", "s_off", "count", "partial_off", "s_stride"), ("max_norm",)),
    ]
    return {f.name: f for f in fams}


def variants(cat: Catalogue) -> list[Variant]:
    """Every kernel, in Kernel enum order: grouped as the training step uses them."""
    fam = families(cat)
    elementwise = [a for a in cat.activations if a.elementwise]
    gemm = fam["gemm"]

    def gemm_tiles(name: str, params: dict[str, Any]) -> list[Variant]:
        # Each layer GEMM in both tile sizes (gemm.glsl.j2); the builders pick one by the size of C.
        return [Variant(name + suffix, gemm, {**params, "tile": tile}) for tile, suffix in GEMM_TILES]

    out = [Variant("noop", fam["noop"]), Variant("gather_rows", fam["gather_rows"])]
    for a in elementwise:
        out += gemm_tiles(f"dense_forward_{a.name}", {"trans_a": False, "trans_b": True, "epilogue": "bias_act",
                                                       "act": a})
    out += [Variant(f"act_forward_{a.name}", fam["act_forward"], {"act": a}) for a in elementwise]
    rowwise = [a for a in cat.activations if not a.elementwise]
    out += [Variant(f"{a.name}_rows", fam["softmax_rows"], {"act": a}) for a in rowwise]
    out.append(Variant("prelu_forward", fam["prelu_forward"]))
    out.append(Variant("dropout_forward", fam["dropout"], {"backward": False}))
    out += [Variant(n, fam[n]) for n in ("batchnorm_forward_train", "batchnorm_forward_eval", "layernorm_forward")]
    for loss in cat.losses:
        out.append(Variant(f"loss_{loss.name}", fam["loss"], {"loss": loss, "fused": False}))
        out.append(Variant(f"loss_{loss.name}_fused", fam["loss"], {"loss": loss, "fused": True}))
    out += [Variant(f"act_backward_{a.name}", fam["act_backward"], {"act": a}) for a in elementwise]
    out += [Variant(f"{a.name}_backward", fam["softmax_backward"], {"act": a}) for a in rowwise]
    out += [Variant(n, fam[n]) for n in ("prelu_backward_input", "prelu_backward_param")]
    out += gemm_tiles("weight_grad", {"trans_a": True, "trans_b": False, "epilogue": "store", "act": None})
    out.append(Variant("bias_grad", fam["bias_grad"]))
    for a in elementwise:
        out += gemm_tiles(f"dense_backward_input_{a.name}", {"trans_a": False, "trans_b": False,
                                                              "epilogue": "derivative", "act": a})
    out.append(Variant("dropout_backward", fam["dropout"], {"backward": True}))
    out += [Variant(n, fam[n]) for n in ("batchnorm_backward", "layernorm_backward_input",
                                         "layernorm_backward_params")]
    out += [Variant(n, fam[n]) for n in ("fill", "add", "copy")]
    out.append(Variant("grad_sumsq", fam["grad_sumsq"]))
    out += [Variant(f"optimizer_step_{o.name}", fam["optimizer_step"], {"opt": o}) for o in cat.optimizers]
    names = [v.name for v in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    assert not dupes, f"kernel variant names must be unique (a catalogue entry named like a family?): {dupes}"
    return out


def _tables(cat: Catalogue) -> dict[str, Any]:
    """Catalogue entry -> kernel tables of the generated variant lookups (dense_forward_variant, ...): one list per
    lookup, in enum order. Per-activation lists hold one (small tile, big tile) pair per activation for the GEMM
    families. Row-wise activations map to the identity variant (the caller adds softmax_rows /
    softmax_backward), as kernel_builders.hpp documents."""
    def per_act(prefix: str) -> list[str]:
        return [f"{prefix}_{a.name if a.elementwise else 'identity'}".upper() for a in cat.activations]

    def tiles(names: list[str]) -> list[tuple[str, ...]]:
        return [tuple(f"{k}{suffix.upper()}" for _, suffix in GEMM_TILES) for k in names]
    return {
        "dense_forward": tiles(per_act("dense_forward")),
        "act_forward": per_act("act_forward"),
        "act_backward": per_act("act_backward"),
        "row_forward": [f"{a.name}_rows".upper() if not a.elementwise else "NOOP" for a in cat.activations],
        "row_backward": [f"{a.name}_backward".upper() if not a.elementwise else "NOOP" for a in cat.activations],
        "dense_backward_input": tiles(per_act("dense_backward_input")),
        "weight_grad": tiles(["WEIGHT_GRAD"])[0],
        "loss": [(f"LOSS_{x.enum_name}", f"LOSS_{x.enum_name}_FUSED") for x in cat.losses],
        "optimizer_step": [f"OPTIMIZER_STEP_{o.enum_name}" for o in cat.optimizers],
    }


def _cpp_float(value: float) -> str:
    text = repr(float(value))
    return text + "f" if any(c in text for c in ".en") else text + ".0f"


def _cpp_double(value: float) -> str:
    if math.isinf(value):
        return "HUGE_VAL" if value > 0 else "-HUGE_VAL"
    text = repr(float(value))
    return text if any(c in text for c in ".en") else text + ".0"


def _environment() -> jinja2.Environment:
    env = environment()
    env.filters["cpp"] = catalogue.cpp_expr
    env.filters["cpp_float"] = _cpp_float
    env.filters["cpp_double"] = _cpp_double
    env.filters["host_cpp"] = catalogue.host_cpp
    env.filters["init_cpp"] = lambda expr, init: catalogue.cpp_expr(initializers.rename(expr, init))
    env.filters["init_host_cpp"] = lambda expr, init: catalogue.host_cpp(initializers.rename(expr, init))
    env.filters["cpp_string"] = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return env


def _spec_stamp(template: str, comment: str = "//") -> str:
    return stamp(f"codegen/spec/*.yaml and templates/{template}", comment).rstrip("\n")


def render_glsl(cat: Catalogue, env: jinja2.Environment | None = None) -> dict[str, str]:
    """Kernel name -> GLSL source, for every variant."""
    env = env or _environment()
    sources = {}
    for v in variants(cat):
        text = env.get_template(v.family.template).render(
            kernel=v.name, family=v.family, stamp=_spec_stamp(v.family.template), guard_slot=GUARD_SLOT,
            sumsq_partials=SUMSQ_PARTIALS, **v.params)
        assert f"){_GLSL_DELIMITER}\"" not in text, "GLSL would end its C++ raw string early"
        sources[v.name] = text
    return sources


def render(cat: Catalogue) -> dict[str, str]:
    """Relative output path -> text, for every generated file."""
    env = _environment()
    glsl = render_glsl(cat, env)
    context = {
        "cat": cat, "variants": variants(cat), "families": families(cat), "tables": _tables(cat),
        "glsl": glsl, "sumsq_partials": SUMSQ_PARTIALS, "guard_slot": GUARD_SLOT, "delimiter": _GLSL_DELIMITER,
        "gemm_tiles": [tile for tile, _ in GEMM_TILES], "act_slots": catalogue.ACT_PARAM_SLOTS,
        "loss_slots": catalogue.LOSS_PARAM_SLOTS, "init_slots": initializers.INIT_PARAM_SLOTS,
        "max_carried": max([len(o.carried) for o in cat.optimizers] + [1]),
    }
    files = {f"glsl/{name}.comp": text for name, text in glsl.items()}
    context["choices"] = {p.name: p.options for i in cat.initializers for p in i.choices}
    context["check_params"] = catalogue.check_params
    for page in ("activations", "losses", "optimizers", "initializers"):
        files[f"{page}.md"] = env.get_template(f"docs/{page}.md.j2").render(
            stamp=_spec_stamp(f"docs/{page}.md.j2", "<!--").rstrip() + " -->", **context)
    for out, template in (("kernels.hpp", "cpu/kernels.hpp.j2"), ("kernels.cpp", "cpu/kernels.cpp.j2"),
                          ("kernel_slots.hpp", "cpu/kernel_slots.hpp.j2"),
                          ("cpu_kernels.cpp", "cpu/cpu_kernels.cpp.j2"),
                          ("optimizer_host.hpp", "cpu/optimizer_host.hpp.j2"),
                          ("optimizer_host.cpp", "cpu/optimizer_host.cpp.j2"),
                          ("initializers.hpp", "cpu/initializers.hpp.j2"),
                          ("initializers.cpp", "cpu/initializers.cpp.j2"),
                          ("param_checks.hpp", "cpu/param_checks.hpp.j2"),
                          ("param_checks.cpp", "cpu/param_checks.cpp.j2")):
        files[out] = env.get_template(template).render(stamp=_spec_stamp(template), **context)
    # Run-time custom activations: the same act_forward / act_backward templates with placeholders.
    files.update(custom_act.render(cat, env, _spec_stamp, GUARD_SLOT, context["families"], SUMSQ_PARTIALS))
    return files


def generate(out_dir: Path) -> list[Path]:
    """Writes every generated file under out_dir (only those whose text changed) and returns all their paths.
    Raises catalogue.SpecError for a malformed spec."""
    files = render(catalogue.load())
    paths = []
    for rel, text in sorted(files.items()):
        path = out_dir / rel
        write_if_changed(path, text)
        paths.append(path)
    return paths


def inputs() -> list[Path]:
    """Every file generate() reads: the specs and the kernel/CPU templates (for build dependency tracking)."""
    templates = sorted(p for d in ("kernels", "cpu", "docs") for p in (TEMPLATES / d).glob("*.j2"))
    # The generator's own code too: a change to e.g. GEMM_TILES or a family's slots must regenerate.
    code = [Path(__file__), Path(catalogue.__file__)] + [Path(__file__).with_name(n) for n in
            ("output.py", "dialect.py", "spec_yaml.py", "custom_act.py", "initializers.py")]
    return catalogue.spec_files() + templates + code


if __name__ == "__main__":  # python -m lk_codegen.kernels [out_dir]: a manual run
    import sys
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "build" / "gen" / "kernels"
    print("\n".join(str(p) for p in generate(target)))
