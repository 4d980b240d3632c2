#!/usr/bin/env python3
"""Syntax-checks emitted AscendC translation units against the public asc-devkit headers.

Driven by scripts/check_ascendc_headers.sh (read its header first). Every unit of the emitted
projects (`ascend-kernels emit --target a2|a5`) is compiled with g++ `-fsyntax-only` against an
asc-devkit checkout and the cpudebug headers of an asc-tools checkout, in the CPU-debug
configuration of the toolkit itself:

* include set: the directories of asc-devkit's `tikcfw_headers` target (what its header checker,
  tests/api/basic_api/ascendc_header_checker, compiles against) plus those the ASC language's CPU
  run mode adds (cmake/asc/asc_modules/CMakeASCInformation.cmake, `CMAKE_ASC_RUN_MODE=cpu`), mapped
  from the installed layout (`asc/include/X`, `asc/impl/X`) to the repository layout, and
  asc-tools `cpudebug/include` (installed as `tools/tikicpulib/lib/include`);
* defines: the header checker's CPU configuration for the unit's core (`dav-c220-vec|2201`,
  `dav-c310-vec|3510`, or `-cube` for cube kernels): `-D__DAV_C220__ -D__DAV_C220_VEC__
  -DASCENDC_DEBUG=1 -DASCENDC_DUMP=1 -D__NPU_ARCH__=2201 -DASCENDC_CPU_DEBUG=1`, plus the
  `__CCE_KT_TEST__=1` and `__CCE_AICORE__=220|310` that asc-tools builds its cpudebug library with;
* `<<<>>>` launches: g++ cannot parse them; the CPU mode of the bisheng compiler rewrites
  `k<<<n, ub, stream>>>(args)` into `AscendC::AscCPUKernelLaunch(n, ub, stream, "k", k, args)`,
  declared by asc-tools `cpu_debug_launch.h` (docs/01_cpu_debug.md of asc-tools). This script does
  the same rewrite on a copy of the unit, so a unit that lacks the `cpu_debug_launch.h` include
  fails here as it would in the toolkit's CPU mode.

Three headers the include set needs are not public: CANN's intrinsic stub header `stub_fun.h`
(downloaded as a binary package by asc-tools' build), the AscendCL runtime header `acl/acl.h`
and the bounds-checking C library header `securec.h`. They are replaced by generated stand-ins:
the compiler is run, every name it reports as undeclared *inside the toolkit's own headers* is
declared (a type as an alias of one integer enum, an upper-case name as one of its enumerators,
anything else as a function that accepts any arguments and returns a value convertible to
anything, or void where the headers return its call from a void function), and the unit is
compiled again until no new name is reported. Names missing in our
own sources are never declared: they are failures. The only hand-written stand-in fact is
AscendCL's `typedef void* aclrtStream;` (public AscendCL API reference).

The stand-ins and every generated file live in the work directory; nothing of the toolkit is
copied into this repository.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

# Directories of asc-devkit `impl/basic_api/CMakeLists.txt` target `tikcfw_headers` (build
# interface) and of the ASC CPU run mode (`CMakeASCInformation.cmake`), relative to the checkout.
DEVKIT_INCLUDE_DIRS = [
    ".",
    "impl",
    "impl/basic_api",
    "impl/basic_api/reg_compute",
    "impl/simt_api",
    "impl/c_api",
    "impl/adv_api",
    "impl/micro_api",
    "impl/utils",
    "include",
    "include/basic_api",
    "include/basic_api/reg_compute",
    "include/simt_api",
    "include/simt_api/cpp",
    "include/c_api",
    "include/adv_api",
    "include/adv_api/matmul",
    "include/aicpu_api",
    "include/interface",
    "include/micro_api",
    "include/tiling",
    "include/utils",
]

# asc-tools: the headers installed as tools/tikicpulib/lib/include (cpudebug/CMakeLists.txt).
TOOLS_INCLUDE_DIRS = ["cpudebug/include"]

# Per target: the header checker's CPU configurations (ascendc_header_checker/CMakeLists.txt) and
# the cpudebug library's __CCE_AICORE__ (asc-tools cpudebug/CMakeLists.txt).
TARGETS = {
    "a2": {"arch": "2201", "dav": "C220", "aicore": "220"},
    "a5": {"arch": "3510", "dav": "C310", "aicore": "310"},
}

# Stand-in headers that all include the generated declarations.
STANDIN_HEADERS = ["stub_fun.h", "securec.h", "acl/acl.h"]

# The only hand-written stand-ins: public, documented declarations (AscendCL's stream handle; the
# SIMT built-in `dim3`, asc-devkit docs/zh/api/SIMT-API/SIMT编程简介/扩展语法/内置数据类型-139.md).
DOCUMENTED_DECLARATIONS = {
    "aclrtStream": "typedef void* aclrtStream;",
    "dim3": "struct dim3 {\n    unsigned int x, y, z;\n"
    "    dim3(unsigned int x, unsigned int y = 1, unsigned int z = 1) : x(x), y(y), z(z) {}\n};",
}

LAUNCH_RE = re.compile(r"\b([A-Za-z_]\w*)\s*<<<\s*(.*?)\s*>>>\s*\(\s*(\)?)", re.S)

DIAG_RE = re.compile(r"^(.+?):(\d+):(\d+): (error|fatal error): (.*)$")
MISSING_PATTERNS = [
    ("type", re.compile(r"^‘([A-Za-z_]\w*)’ does not name a type")),
    ("type", re.compile(r"^‘(?:::)?([A-Za-z_]\w*)’ has not been declared")),
    ("func", re.compile(r"^there are no arguments to ‘([A-Za-z_]\w*)’ that depend")),
    ("scope", re.compile(r"^‘([A-Za-z_]\w*)’ was not declared in this scope")),
    ("header", re.compile(r"^([\w./+-]+\.h): No such file or directory")),
    ("refunc", re.compile(r"^‘([A-Za-z_]\w*)’ cannot be used as a function")),
    ("void", re.compile(r"^(return)-statement with a value, in function returning ‘void’")),
    ("member", re.compile(r"^‘([A-Za-z_]\w*)’ is not a member of ‘\w+’ \{aka ‘ak_standin_enum’\}")),
]
CONST_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def rewrite_launches(text):
    """k<<<a, b, c>>>(args) -> AscendC::AscCPUKernelLaunch(a, b, c, "k", k, args), as bisheng's
    CPU run mode does through cpu_debug_launch.h."""

    def repl(m):
        name, config, closing = m.group(1), m.group(2), m.group(3)
        head = f'AscendC::AscCPUKernelLaunch({config}, "{name}", {name}'
        return head + (")" if closing else ", ")

    return LAUNCH_RE.sub(repl, text)


class Standins:
    """The generated declarations, grown from the compiler's reports."""

    def __init__(self, root: Path):
        self.root = root
        self.types = []
        self.consts = []
        self.funcs = []
        self.headers = []  # extra missing headers, created empty
        self.void_funcs = []  # functions whose call is returned from a void function
        state = root / "state.json"
        if state.is_file():  # a re-run in the same work directory starts where the last stopped
            saved = json.loads(state.read_text())
            self.types, self.consts = saved["types"], saved["consts"]
            self.funcs, self.headers = saved["funcs"], saved["headers"]
            self.void_funcs = saved.get("void_funcs", [])
        self.write()

    def known(self):
        return set(self.types) | set(self.consts) | set(self.funcs) | set(DOCUMENTED_DECLARATIONS)

    def write(self):
        lines = [
            "/* Generated by ascend-kernels scripts/check_ascendc_headers.py: stand-in declarations",
            " * for names the public asc-devkit/asc-tools headers use but do not declare (they come",
            " * from CANN's closed stub_fun.h, acl/acl.h or securec.h). Syntax checking only. */",
            "#ifndef AK_STANDINS_H",
            "#define AK_STANDINS_H",
            "#include <cstddef>",
            "#include <cstdint>",
            *DOCUMENTED_DECLARATIONS.values(),
            "enum ak_standin_enum : int64_t {",
            "    AK_STANDIN_NONE = 0,",
        ]
        lines += [f"    {c} = {i + 1}," for i, c in enumerate(self.consts)]
        lines.append("};")
        lines += [f"using {t} = ak_standin_enum;" for t in self.types]
        lines += [
            "struct ak_standin_value {",
            "    template <typename T>",
            "    operator T() const",
            "    {",
            "        return T();",
            "    }",
            "};",
            "#define AK_STANDIN_BINOP(op)                                                          \\",
            "    template <typename U>                                                         \\",
            "    auto operator op(ak_standin_value, const U& u)->decltype(u op u) { return u; } \\",
            "    template <typename U>                                                         \\",
            "    auto operator op(const U& u, ak_standin_value)->decltype(u op u) { return u; } \\",
            "    inline int64_t operator op(ak_standin_value, ak_standin_value) { return 0; }",
            "#define AK_STANDIN_ASSIGN(op)                                                         \\",
            "    template <typename U>                                                         \\",
            "    U& operator op(U& u, ak_standin_value) { return u; }",
        ]
        for op in ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "<", ">", "<=", ">=", "==", "!="]:
            lines.append(f"AK_STANDIN_BINOP({op})")
        for op in ["+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="]:
            lines.append(f"AK_STANDIN_ASSIGN({op})")
        lines += [
            "inline int64_t operator-(ak_standin_value) { return 0; }",
            "inline int64_t operator~(ak_standin_value) { return 0; }",
            "inline bool operator!(ak_standin_value) { return false; }",
        ]
        for f in self.funcs:
            ret = "void" if f in self.void_funcs else "ak_standin_value"
            body = "{}" if f in self.void_funcs else "{ return {}; }"
            lines.append(f"template <typename... T, typename... A> inline {ret} {f}(A&&...) {body}")
            lines.append(
                f"template <auto V0, auto... V, typename... A> inline {ret} {f}(A&&...) {body}"
            )
            # C variadic: also takes what a template cannot deduce (arrays of runtime size)
            lines.append(f"inline {ret} {f}(...) {body}")
        lines += ["#endif", ""]
        (self.root / "ak_standins.h").write_text("\n".join(lines))
        state = {"types": self.types, "consts": self.consts, "funcs": self.funcs}
        state["headers"], state["void_funcs"] = self.headers, self.void_funcs
        (self.root / "state.json").write_text(json.dumps(state, indent=1))
        for name in STANDIN_HEADERS:
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                "/* Generated stand-in for a closed CANN header (syntax checking only). */\n"
                '#pragma once\n#include "ak_standins.h"\n'
            )
        for name in self.headers:
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text('#pragma once\n#include "ak_standins.h"\n')


def source_line(path, line):
    try:
        return Path(path).read_text(errors="replace").splitlines()[int(line) - 1]
    except (OSError, IndexError):
        return ""


def token_after(path, line, col, name):
    """The first non-blank character after `name` at line:col (1-based byte column)."""
    src = source_line(path, line)
    nxt = source_line(path, int(line) + 1).lstrip()[:1]
    start = int(col) - 1
    if src[start : start + len(name)] != name:
        start = src.find(name)
        if start < 0:
            return ""
    rest = src[start + len(name) :].lstrip()
    return rest[:1] or nxt


def missing_names(stderr, toolkit_roots):
    """(kind, name, next-char) of every undeclared name reported inside the toolkit headers."""
    found = []
    for raw in stderr.splitlines():
        m = DIAG_RE.match(raw)
        if not m:
            continue
        path, line, col, _, msg = m.groups()
        real = os.path.realpath(path)
        if not any(real.startswith(r) for r in toolkit_roots):
            continue
        for kind, rx in MISSING_PATTERNS:
            mm = rx.match(msg)
            if mm and kind == "void":
                # `return intrinsic(...);` in a void function: the intrinsic returns void
                callee = re.match(r"\s*return\s+([A-Za-z_]\w*)\s*\(", source_line(path, line))
                if callee:
                    found.append((kind, callee.group(1), ""))
                break
            if mm:
                name = mm.group(1)
                found.append((kind, name, token_after(path, line, col, name)))
                break
    return found


def classify(found, standins):
    """New declarations to add, types first (a missing type makes later names look missing)."""
    known = standins.known()
    types, funcs, consts, headers, deferred, voids = set(), set(), set(), set(), set(), set()
    refuncs = set()
    for kind, name, nxt in found:
        if kind == "refunc":
            # declared as a constant from an ambiguous report, but it is called
            if name in standins.consts:
                refuncs.add(name)
            continue
        if kind == "void":
            if name in standins.funcs and name not in standins.void_funcs:
                voids.add(name)
            continue
        if name in known:
            continue
        if kind == "header":
            if name not in standins.headers:
                headers.add(name)
        elif kind == "member":
            consts.add(name)
        elif kind == "type" or name.endswith("_t"):
            types.add(name)
        elif kind == "func" or nxt == "(":
            funcs.add(name)
        elif CONST_RE.match(name):
            consts.add(name)
        else:
            deferred.add(name)
    funcs |= refuncs
    return types, funcs, consts, headers, deferred, voids


class Checker:
    """Compiles one translation unit for one target against the toolkit headers, growing the
    stand-ins until the compiler reports no new undeclared toolkit name."""

    def __init__(self, args, devkit, tools, standins, gen):
        self.cxx = args.cxx
        self.max_rounds = args.max_rounds
        self.standins = standins
        self.toolkit_roots = [str(devkit) + os.sep, str(tools) + os.sep, str(standins.root) + os.sep]
        self.includes = [f"-I{devkit / d}" for d in DEVKIT_INCLUDE_DIRS]
        self.includes += [f"-I{tools / d}" for d in TOOLS_INCLUDE_DIRS]
        self.includes += [f"-I{standins.root}", f"-I{gen}"]

    def compile(self, src, target, cube, extra_includes=(), extra_flags=(), warnings=False):
        """(ok, stderr, seconds) of `g++ -fsyntax-only src` in the CPU-debug configuration."""
        cfg = TARGETS[target]
        core = "CUBE" if cube else "VEC"
        flags = [
            "-x",
            "c++",
            "-std=c++17",
            "-fdiagnostics-column-unit=byte",
            f"-D__DAV_{cfg['dav']}__",
            f"-D__DAV_{cfg['dav']}_{core}__",
            "-DASCENDC_DEBUG=1",
            "-DASCENDC_DUMP=1",
            f"-D__NPU_ARCH__={cfg['arch']}",
            "-DASCENDC_CPU_DEBUG=1",
            "-D__CCE_KT_TEST__=1",
            f"-D__CCE_AICORE__={cfg['aicore']}",
            *(f"-I{d}" for d in extra_includes),
            *self.includes,
            *extra_flags,
        ]
        if not warnings:
            flags.insert(3, "-w")
        started = time.monotonic()
        rounds = 0
        while True:
            proc = subprocess.run(
                [self.cxx, *flags, "-fsyntax-only", str(src)], capture_output=True, text=True
            )
            if proc.returncode == 0 or rounds >= self.max_rounds:
                break
            if not self.grow(proc.stderr):
                break
            rounds += 1
        return proc.returncode == 0, proc.stderr, time.monotonic() - started

    def grow(self, stderr):
        """Declares the names the compiler reported missing in the toolkit; False if none is new."""
        st = self.standins
        types, funcs, consts, headers, deferred, voids = classify(
            missing_names(stderr, self.toolkit_roots), st
        )
        if types or headers:
            # a missing type or header hides everything after it: declare it first
            st.types += sorted(types)
            st.headers += sorted(headers)
        elif funcs or consts or voids:
            st.consts = [c for c in st.consts if c not in funcs]
            st.void_funcs += sorted(voids)
            st.funcs += sorted(funcs)
            st.consts += sorted(consts)
        elif deferred:
            st.consts += sorted(deferred)
        else:
            return False
        st.write()
        return True


def first_errors(stderr, limit=int(os.environ.get("AK_CHECK_ERRORS", "6"))):
    out = [line for line in stderr.splitlines() if ": error:" in line or ": fatal error:" in line]
    return out[:limit]


def header_field(text, key):
    """The value of a `// key: value` line of a test program, or ''."""
    m = re.search(rf"^// {re.escape(key)}: (.*)$", text, re.M)
    return m.group(1).strip() if m else ""


def generate_build_headers(devkit, gen):
    """The two headers the toolkit's own build generates: kernel_tiling/kernel_tiling.h (made by
    asc-devkit's generator script) and ascendc/host_api/tiling/template_argument.h (a copy of
    include/utils/tiling/template_argument.h; linked here)."""
    (gen / "kernel_tiling").mkdir(parents=True, exist_ok=True)
    script = devkit / "impl/adv_api/cmake/scripts/gen_kernel_tiling_data_def.py"
    tiling = gen / "kernel_tiling/kernel_tiling.h"
    proc = subprocess.run(
        [sys.executable, str(script), "include/adv_api", str(tiling)],
        cwd=devkit,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not tiling.is_file():
        sys.exit(f"error: {script} failed:\n{proc.stdout}{proc.stderr}")
    tmpl = gen / "ascendc/host_api/tiling/template_argument.h"
    tmpl.parent.mkdir(parents=True, exist_ok=True)
    if not tmpl.exists():
        tmpl.symlink_to(devkit / "include/utils/tiling/template_argument.h")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--devkit", required=True, type=Path, help="asc-devkit checkout")
    ap.add_argument("--tools", required=True, type=Path, help="asc-tools checkout")
    ap.add_argument("--emitted", required=True, type=Path, help="dir with a2/ and a5/ projects")
    ap.add_argument("--work", required=True, type=Path, help="scratch directory")
    ap.add_argument(
        "--probe",
        type=Path,
        action="append",
        default=[],
        help="extra translation unit that must parse for every target (the sim's API probe)",
    )
    ap.add_argument(
        "--refused",
        type=Path,
        help="directory of programs that must NOT compile (// arch:, // expect-real: lines)",
    )
    ap.add_argument("--cxx", default=os.environ.get("CXX", "g++"))
    ap.add_argument("--max-rounds", type=int, default=40)
    ap.add_argument("--only", default="", help="check only files whose name contains this")
    args = ap.parse_args()

    devkit, tools, work = args.devkit.resolve(), args.tools.resolve(), args.work.resolve()
    for path, what in [
        (devkit / "include/kernel_operator.h", "asc-devkit"),
        (tools / "cpudebug/include/cpu_debug_launch.h", "asc-tools"),
    ]:
        if not path.is_file():
            sys.exit(f"error: {path} not found: is this an {what} checkout?")
    gen = work / "generated"
    generate_build_headers(devkit, gen)
    standin_dir = work / "standins"
    standin_dir.mkdir(parents=True, exist_ok=True)
    checker = Checker(args, devkit, tools, Standins(standin_dir), gen)

    results = []
    for target in TARGETS:
        project = args.emitted / target
        units = sorted((project / "kernels").glob("*.cpp"))
        if not units:
            sys.exit(f"error: no units in {project / 'kernels'}")
        units += [p.resolve() for p in args.probe]
        copies = work / "units" / target
        copies.mkdir(parents=True, exist_ok=True)
        for unit in units:
            if args.only not in unit.name:
                continue
            text = unit.read_text()
            cube = "Mmad" in text
            copy = copies / unit.name
            copy.write_text(rewrite_launches(text))
            ok, err, secs = checker.compile(
                copy, target, cube, extra_includes=[project / "kernels", project / "include"]
            )
            label = f"{target} {'cube' if cube else 'vec '} {unit.name}"
            print(f"{'PASS' if ok else 'FAIL'}  {label}  ({secs:.1f} s)", flush=True)
            if not ok:
                for line in first_errors(err):
                    print(f"      {line}")
            results.append(ok)
    parsed = sum(results)
    summary = [f"{parsed}/{len(results)} units parse against the asc-devkit headers"]

    if args.refused is not None:
        refused = []
        for src in sorted(args.refused.glob("*.cpp")):
            if args.only not in src.name:
                continue
            text = src.read_text()
            want = header_field(text, "expect-real")
            extra = header_field(text, "flags").split()
            for arch in header_field(text, "arch").split():
                target = next((t for t, c in TARGETS.items() if c["arch"] == arch), None)
                if target is None or not want:
                    sys.exit(f"error: {src}: needs `// arch: 2201|3510` and `// expect-real:` lines")
                ok, err, secs = checker.compile(
                    src, target, False, extra_flags=extra, warnings=bool(extra)
                )
                refused_ok = not ok and want in err
                if refused_ok:
                    verdict = f"REFUSED as expected: {want}"
                elif ok:
                    verdict = "compiles against the real headers"
                else:
                    verdict = f"refused, but the compiler did not say '{want}'"
                status = "PASS" if refused_ok else "FAIL"
                print(f"{status}  {target} refused/{src.name}  ({secs:.1f} s)  {verdict}", flush=True)
                if not ok and not refused_ok:
                    for line in first_errors(err):
                        print(f"      {line}")
                refused.append(refused_ok)
        summary.append(
            f"{sum(refused)}/{len(refused)} refused programs fail against the real headers as expected"
        )
        results += refused

    st = checker.standins
    print(
        "\n" + "; ".join(summary) + f" (stand-ins: {len(st.types)} types, {len(st.consts)} constants, "
        f"{len(st.funcs)} functions, {len(st.headers)} extra headers: {standin_dir / 'ak_standins.h'})"
    )
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
