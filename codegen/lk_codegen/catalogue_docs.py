"""The class reference's text for the kernel catalogue (codegen/spec/*.yaml): one line per enum constant
(the entry's doc and its parameters with their defaults) and the optimizer hyperparameters' table, in Godot's
BBCode. glue.py puts them into doc_classes/*.xml, so the editor's help documents every constant and
hyperparameter from the spec.

Example:
    >>> from lk_codegen import catalogue_docs
    >>> catalogue_docs.enum_docs("losses")[0].startswith("Mean squared error")   # doctest: +SKIP
    True
"""
from __future__ import annotations

import functools

from . import catalogue


@functools.cache
def _cat() -> catalogue.Catalogue:
    return catalogue.load()


def _num(v: float) -> str:
    return catalogue._num(v)


def _params(params: dict[str, float]) -> str:
    return ", ".join(f"[code]{k}[/code] = {_num(v)}" for k, v in params.items())


def enum_docs(kind: str) -> list[str]:
    """One description per entry of catalogue `kind` (activations, losses, optimizers, initializers), in order."""
    cat = _cat()
    out = []
    if kind == "activations":
        for a in cat.activations:
            extra = f" Parameters: {_params(a.params)}." if a.params else ""
            extra += f" Also named: {', '.join(a.aliases)}." if a.aliases else ""
            out.append(a.doc + extra)
    elif kind == "losses":
        for x in cat.losses:
            out.append(x.doc + (f" Parameters (loss_settings): {_params(x.params)}." if x.params else ""))
    elif kind == "optimizers":
        for o in cat.optimizers:
            out.append(f"{o.doc} Hyperparameters: {_params(o.hyper)}.")
    elif kind == "initializers":
        for i in cat.initializers:
            params = ", ".join(
                f"[code]{p.name}[/code] = " + (f'"{p.default}" (or {", ".join(o for o in p.options if o != p.default)})'
                                               if p.is_choice else _num(float(p.default)))
                for p in i.params)
            out.append(i.doc + (f" Parameters (pass a Dictionary with [code]name[/code]): {params}." if params else ""))
    else:
        raise ValueError(f"unknown catalogue {kind!r}")
    return out


def hyperparameters_doc() -> str:
    """Every optimizer hyperparameter: name, global default, valid values, meaning and the optimizers with it."""
    cat = _cat()
    lines = [("Hyperparameters (set by name with [method set_hyper] or LearnKit.optimizer(kind, {name: value}); "
              "each optimizer's own defaults are listed with its OptimizerType constant):")]
    for h in cat.hyperparameters:
        users = [o.name for o in cat.optimizers if h.name in o.hyper]
        lines.append(f"- [code]{h.name}[/code] (default {_num(h.default)}, {h.range_text}): {h.doc} "
                     f"Used by: {', '.join(users) if users else 'every optimizer (the trainer)'}.")
    return "\n".join(lines)


DESCRIPTIONS = {"hyperparameters": hyperparameters_doc}
