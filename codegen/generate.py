#!/usr/bin/env python3
"""LearnKit's code generator: one entry point for every generated file (all of them land in build/gen/).

  python codegen/generate.py                      # everything, with the API dumps in build/api
  python codegen/generate.py --only kernels       # one generator: bindings | glue | kernels
  python codegen/generate.py --list-outputs glue  # print what a generator writes (for the build)
  python codegen/generate.py --list-inputs glue   # print what a generator reads (for the build)
  python codegen/generate.py --compatibility-minimum   # lowest Godot version our interface calls need

Generators:
  bindings  codegen/spec/bindings.yaml + Godot's dumps -> build/gen/godot/  (typed engine bindings)
  glue      codegen/spec/api.yaml                      -> build/gen/glue/   (class registration, docs)
  kernels   codegen/spec/{activations,...}.yaml        -> build/gen/kernels/ (GLSL + CPU kernels)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lk_codegen import bindings, catalogue, glue, kernels
from lk_codegen.output import REPO

GENERATORS = ("bindings", "glue", "kernels")


def outputs(name: str, api: Path, out: Path) -> list[Path]:
    if name == "bindings":
        return bindings.outputs(out / "godot")
    if name == "glue":
        return glue.outputs(out / "glue")
    return [out / "kernels" / rel for rel in sorted(kernels.render(catalogue.load()))]


def inputs(name: str) -> list[Path]:
    return {"bindings": bindings.inputs, "glue": glue.inputs, "kernels": kernels.inputs}[name]()


def run(name: str, api: Path, out: Path) -> list[Path]:
    if name == "bindings":
        return bindings.generate(api, out / "godot")
    if name == "glue":
        return glue.generate(out / "glue")
    return kernels.generate(out / "kernels")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", type=Path, default=REPO / "build" / "api", help="folder with Godot's dumps")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "gen", help="output root")
    parser.add_argument("--only", choices=GENERATORS, help="run one generator")
    parser.add_argument("--list-outputs", choices=GENERATORS)
    parser.add_argument("--list-inputs", choices=GENERATORS)
    parser.add_argument("--compatibility-minimum", action="store_true")
    args = parser.parse_args()
    try:
        if args.list_outputs:
            print("\n".join(str(p) for p in outputs(args.list_outputs, args.api, args.out)))
        elif args.list_inputs:
            print("\n".join(str(p) for p in inputs(args.list_inputs)))
        elif args.compatibility_minimum:
            print(bindings.compatibility_minimum(args.api))
        else:
            for name in [args.only] if args.only else GENERATORS:
                run(name, args.api, args.out)
    except (bindings.SpecError, glue.SpecError, catalogue.SpecError) as e:
        print(f"generate.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
