"""Options, builders and targets of LearnKit's SCons build (SConstruct only calls build())."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import spirv_build
from SCons.Script import (  # type: ignore
    BoolVariable,
    Clean,
    Default,
    Dir,
    EnumVariable,
    Exit,
    GetOption,
    SetOption,
    Variables,
)

ROOT = Path(Dir("#").abspath)
BUILD = ROOT / "build"
API = BUILD / "api"
GEN = BUILD / "gen"
ADDON = ROOT / "godot_project" / "addons" / "learnkit"
GODOT = ROOT / "tools" / "godot"
PY = sys.executable
SANITIZERS = {"address", "undefined", "leak"}


def scrubbed_env() -> dict[str, str]:
    """The caller's environment (PATH, HOME, GODOT, LEARNKIT_*), so tools/godot finds what the user has."""
    return dict(os.environ)


def _codegen(*args: str) -> list[str]:
    out = subprocess.run([PY, str(ROOT / "codegen" / "generate.py"), "--api", str(API), "--out", str(GEN), *args],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def build(env, arguments) -> None:
    if GetOption("num_jobs") == 1:  # no -j given: use every core (like godot-cpp's SConstruct)
        SetOption("num_jobs", os.cpu_count() or 1)
    opts = Variables(None, arguments)
    opts.Add(EnumVariable("target", "build flavour", "template_debug", ("template_debug", "template_release")))
    opts.Add(BoolVariable("dev_build", "debug symbols, no optimisation, assertions", False))
    opts.Add(EnumVariable("platform", "target platform", "linux", ("linux",)))
    opts.Add(EnumVariable("arch", "target architecture", "x86_64", ("x86_64",)))
    opts.Add("sanitize", "comma-separated g++ sanitizers, e.g. address,undefined (run with tools/sanitize_run.sh)",
             "")
    opts.Update(env)
    unknown = opts.UnknownVariables()
    if unknown:
        print(f"scons: unknown option(s) {', '.join(unknown)}; known: target, dev_build, platform, arch, sanitize")
        Exit(2)
    sanitizers = sorted(filter(None, env["sanitize"].split(",")))
    if set(sanitizers) - SANITIZERS:
        print(f"scons: unknown sanitizer(s) {', '.join(sorted(set(sanitizers) - SANITIZERS))}; "
              f"known: {', '.join(sorted(SANITIZERS))}")
        Exit(2)

    # 1. Godot's own description of itself: the interface header/JSON and the API JSON (once; `scons -c` redoes).
    dumps = [str(API / n) for n in ("gdextension_interface.h", "gdextension_interface.json", "extension_api.json")]
    env.Command(dumps, [], f'mkdir -p "{API}" && cd "{API}" && "{GODOT}" --headless --no-project '
                           "--dump-gdextension-interface --dump-gdextension-interface-json --dump-extension-api")

    # 2. Code generation: each generator is its own target, so a changed spec or template reruns only it.
    generated = []
    for name in ("bindings", "glue", "kernels"):
        outs = _codegen("--list-outputs", name)
        ins = _codegen("--list-inputs", name) + (dumps if name == "bindings" else [])
        env.Command(outs, ins, f'"{PY}" "{ROOT / "codegen" / "generate.py"}" --api "{API}" --out "{GEN}" --only {name}')
        generated += outs
    Clean(generated, [str(GEN)])
    # 2b. Every generated GLSL kernel compiled to SPIR-V and embedded (site_scons/spirv_build.py).
    spirv_table = spirv_build.add(env, [g for g in generated if g.endswith(".comp")], GEN / "spirv")

    # 3. The shared library.
    env.Replace(CXX=os.environ.get("CXX", "g++"))
    env.Append(CPPPATH=[str(ROOT / "gdextension" / "src"), str(GEN), str(GEN / "godot"), str(GEN / "glue"), str(API)])
    env.Append(CXXFLAGS=["-std=c++17", "-fPIC", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter",
                         # no STB_GNU_UNIQUE symbols: they would keep the library loaded after dlclose
                         # (godot-cpp tools/linux.py)
                         "-fno-gnu-unique",
                         # sqrt/exp need not set errno (nothing reads it): lets g++ inline them and vectorise
                         # the optimizer and activation loops (Adam step ~4x faster on the CPU backend)
                         "-fno-math-errno"])
    if env["dev_build"]:
        env.Append(CXXFLAGS=["-O0", "-g3"], CPPDEFINES=["DEV_ENABLED"])
    else:
        env.Append(CXXFLAGS=["-O3" if env["target"] == "template_release" else "-O2", "-g0"], CPPDEFINES=["NDEBUG"])
    if env["target"] == "template_release":
        # Test-only hooks (e.g. LEARNKIT_TEST_CRASH_MID_SAVE in api/atomic_file.cpp) are left out of release builds.
        env.Append(CPPDEFINES=["LK_RELEASE"])
    if sanitizers:
        # Instrumented for tools/sanitize_run.sh: frame pointers and line info for readable reports; the first
        # UBSan finding aborts (a report that scrolls by must not pass a test run).
        flags = [f"-fsanitize={','.join(sanitizers)}", "-fno-omit-frame-pointer", "-g", "-fno-sanitize-recover=all"]
        env.Append(CXXFLAGS=flags, LINKFLAGS=flags)
    # Static libstdc++ so the library runs on older systems, but its symbols stay private: exported, they mix
    # with the libstdc++ Godot loads, and e.g. number formatting in std::ostringstream silently fails.
    env.Append(LINKFLAGS=["-Wl,--no-undefined", "-static-libstdc++", "-static-libgcc", "-Wl,--exclude-libs,ALL"])
    flavour = f"{env['target']}{'.dev' if env['dev_build'] else ''}{'.san' if sanitizers else ''}"
    variant = BUILD / "obj" / flavour
    sources = []
    for src in sorted((ROOT / "gdextension" / "src").rglob("*.cpp")):
        sources.append(env.SharedObject(str(variant / src.relative_to(ROOT / "gdextension" / "src").with_suffix(".os")),
                                        str(src)))
    for gen in generated:
        if gen.endswith(".cpp"):
            rel = Path(gen).relative_to(GEN)
            sources.append(env.SharedObject(str(variant / "gen" / rel.with_suffix(".os")), gen))
    spirv_obj = env.SharedObject(str(variant / "gen" / "spirv" / "spirv_table.os"), spirv_table)
    env.Depends(spirv_obj, str(GEN / "spirv" / "kernels.spvpack"))  # .incbin: invisible to the C++ scanner
    sources.append(spirv_obj)
    libname = f"liblearnkit.{env['platform']}.{flavour}.{env['arch']}.so"
    lib = env.SharedLibrary(str(BUILD / "bin" / libname), sources, SHLIBPREFIX="", SHLIBSUFFIX="")

    # 4. Install into the addon, next to a .gdextension whose compatibility_minimum matches the interface used.
    installed = env.InstallAs(str(ADDON / "bin" / libname), lib)
    # The library's name is a source too: a sanitize=... build points the file at its own library, and the
    # next plain build points it back.
    gdext = env.Command(str(ADDON / "learnkit.gdextension"), [str(GEN / "godot" / "gdx_interface.hpp"), env.Value(libname)],
                        lambda target, source, env: _write_gdextension(Path(str(target[0])), libname,
                                                                          env["platform"], env["arch"]))
    env.Depends(gdext, installed)
    env.Depends(gdext, [str(p) for p in sorted((ADDON / "icons").glob("*.svg"))])  # its [icons] section
    # `scons -c` leaves nothing generated behind: the whole build/ folder (dumps, generated code, objects) too.
    Clean(installed, [str(ADDON / "bin"), str(BUILD)])
    Default(installed, gdext)


def _write_gdextension(path: Path, libname: str, platform: str, arch: str) -> None:
    minimum = _codegen("--compatibility-minimum")[0]
    # Both flavours are listed whichever one this build made, so a debug run (the editor, tools/godot) finds the
    # debug library and a release export (--export-release) the release one. Godot picks an entry by its feature
    # tags alone (GDExtensionLibraryLoader::find_extension_library), so a listed library that was never built
    # costs nothing until an export of that flavour asks for it. This build's own (maybe sanitized) library
    # replaces the plain name of its flavour.
    libs = {flavour: f"liblearnkit.{platform}.template_{flavour}.{arch}.so" for flavour in ("debug", "release")}
    libs["debug" if "template_debug" in libname else "release"] = libname
    text = (
        "; Generated by scons (site_scons/learnkit_build.py): edit that, not this file.\n"
        "[configuration]\n"
        'entry_symbol = "learnkit_library_init"\n'
        f'compatibility_minimum = "{minimum}"\n'
        "reloadable = false\n\n"
        "[libraries]\n"
        + "".join(f'{platform}.{flavour}.{arch} = "res://addons/learnkit/bin/{lib}"\n' for flavour, lib in libs.items())
    )
    path.write_text(text + _icons_section(), encoding="utf-8")


def _icons_section() -> str:
    """The editor icons of our classes: every addons/learnkit/icons/<Class>.svg (shown in the scene tree and
    the Create Node dialog)."""
    icons = sorted((ADDON / "icons").glob("*.svg"))
    lines = [f'{svg.stem} = "res://addons/learnkit/icons/{svg.name}"\n' for svg in icons]
    return "\n[icons]\n" + "".join(lines) if lines else ""
