"""The restricted Python that BPMN scripts and expressions run in (RestrictedPython + time limit).

Process designers upload BPMN, so its scripts are untrusted code.  They are compiled with
RestrictedPython (no names or attributes starting with "_", no imports, no class definitions,
no try/except so a time-out cannot be swallowed, a denylist of dangerous builtins), executed with
a small set of safe builtins and guards, and run under the limits of script_limits.py (CPU
time, memory growth). A C-level call cannot be stopped once started, so what could build a huge object in one
call (`+`, `*`, `**`, `%`, pow(), padding, replace, join, format, f-string widths) is refused
before it runs when its result would pass MAX_SEQUENCE items or MAX_INT_BITS bits.
Nothing here imports SpiffWorkflow.
"""

from __future__ import annotations

import ast
import operator
import re
import textwrap
import threading
from collections.abc import Callable, Mapping
from types import CodeType
from typing import Any

from RestrictedPython import (
    PrintCollector,
    RestrictingNodeTransformer,
    compile_restricted_eval,
    compile_restricted_exec,
    limited_builtins,
    safe_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr_raise,
)

from .script_limits import (DEFAULT_TIME_LIMIT, SCRIPT_FILENAME, ScriptMemoryLimit,  # noqa: F401
                            ScriptTimeout, run_limited, wrap_function)  # (the sandbox's public face)

MAX_SEQUENCE = 100_000  # longest str/list/tuple/bytes a `*` may build
MAX_INT_BITS = 100_000  # largest int a `**` or `<<` may build

# Names a script may never mention, even if task data happened to use them.
FORBIDDEN_NAMES = frozenset({
    "open", "eval", "exec", "compile", "globals", "locals", "vars", "dir", "getattr", "setattr",
    "delattr", "hasattr", "input", "breakpoint", "help", "memoryview", "exit", "quit", "object",
    "type", "super", "classmethod", "staticmethod", "property",
})


class SandboxViolation(Exception):
    """The source was refused at compile time; args[0] lists the reasons."""


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, tightened to plain data manipulation."""

    def _refuse(self, node: ast.AST, what: str) -> ast.AST:
        self.error(node, f"{what} are not allowed in BPMN scripts.")
        return node

    def visit_Import(self, node):
        return self._refuse(node, "Imports")

    def visit_ImportFrom(self, node):
        return self._refuse(node, "Imports")

    def visit_ClassDef(self, node):
        return self._refuse(node, "Class definitions")

    def visit_Try(self, node):
        return self._refuse(node, "try/except blocks")

    def visit_TryStar(self, node):
        return self._refuse(node, "try/except blocks")

    def visit_Global(self, node):
        return self._refuse(node, "global statements")

    def visit_Nonlocal(self, node):
        return self._refuse(node, "nonlocal statements")

    def visit_AsyncFunctionDef(self, node):
        return self._refuse(node, "Async functions")

    def visit_Name(self, node):
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f'"{node.id}" is not allowed in BPMN scripts.')
            return node
        return super().visit_Name(node)

    def visit_FormattedValue(self, node):
        spec = node.format_spec
        for part in (spec.values if isinstance(spec, ast.JoinedStr) else []):
            if isinstance(part, ast.FormattedValue):
                self.error(node, "Format specifications computed at run time are not allowed.")
            elif isinstance(part, ast.Constant) and _too_wide(str(part.value)):
                self.error(node, f"Format widths over {MAX_SEQUENCE} are not allowed.")
        return super().visit_FormattedValue(node)

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        if isinstance(node, ast.BinOp) and type(node.op) in _GUARDED_BINOPS:
            call = ast.Call(func=ast.Name("_binop_", ast.Load()),
                            args=[ast.Constant(_GUARDED_BINOPS[type(node.op)]), node.left, node.right],
                            keywords=[])
            return ast.fix_missing_locations(ast.copy_location(call, node))
        return node


_GUARDED_BINOPS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}
_BINOPS = {"+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift,
           "%": operator.mod}
_SEQUENCES = (str, bytes, list, tuple)
_WIDTH = re.compile(r"\d+")
_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift, ">>=": operator.irshift,
    "|=": operator.ior, "^=": operator.ixor, "&=": operator.iand, "//=": operator.ifloordiv,
}


def _too_wide(format_text: str) -> bool:
    """Whether a format string or spec asks for a width or precision past MAX_SEQUENCE."""
    return any(int(number) > MAX_SEQUENCE for number in _WIDTH.findall(format_text))


def _refuse_sequence(length: int) -> None:
    if length > MAX_SEQUENCE:
        raise ValueError(f"sequences longer than {MAX_SEQUENCE} are not allowed")


def _refuse_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise ValueError(f"integers larger than {MAX_INT_BITS} bits are not allowed")


def _check_size(op: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be huge, before Python builds it in one C call."""
    if op == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        _refuse_sequence(len(left) + len(right))
    elif op == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, _SEQUENCES) and isinstance(n, int):
                _refuse_sequence(len(seq) * n)
        if isinstance(left, int) and isinstance(right, int):
            _refuse_bits(left.bit_length() + right.bit_length())
    elif op in ("**", "<<") and isinstance(left, int) and isinstance(right, int):
        _refuse_bits(left.bit_length() * right if op == "**" else left.bit_length() + right)
    elif op == "%" and isinstance(left, (str, bytes)):
        text = left if isinstance(left, str) else left.decode("latin-1")
        if "*" in text.replace("%%", "") or _too_wide(text):
            raise ValueError(f"%-formats with '*' or widths over {MAX_SEQUENCE} are not allowed")


def _binop(op: str, left: Any, right: Any) -> Any:
    _check_size(op, left, right)
    return _BINOPS[op](left, right)


def _inplacevar(op: str, left: Any, right: Any) -> Any:
    _check_size(op[:-1], left, right)
    return _INPLACE[op](left, right)


def _apply(func: Callable, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def _pow(base, exp, mod=None):
    """pow() with the same bound as the ** operator (a modulus keeps the result small)."""
    if mod is None:
        _check_size("**", base, exp)
    return pow(base, exp, mod)


def _padding(method):
    def padded(text, width, *args):
        _refuse_sequence(width if isinstance(width, int) else 0)
        return method(text, width, *args)
    return padded


def _replace(text, old, new, count=-1):
    occurrences = text.count(old) if count < 0 else min(count, text.count(old))
    if not old:
        occurrences = len(text) + 1
    _refuse_sequence(len(text) + occurrences * max(len(new) - len(old), 0))
    return text.replace(old, new, count)


def _expandtabs(text, tabsize=8):
    _refuse_sequence(len(text) + text.count("\t" if isinstance(text, str) else b"\t") * tabsize)
    return text.expandtabs(tabsize)


def _join(separator, items):
    items = list(items)
    _refuse_sequence(sum(len(item) for item in items if isinstance(item, _SEQUENCES))
                     + len(separator) * max(len(items) - 1, 0))
    return separator.join(items)


# str and bytes methods that build their result in one C call, by the size they would reach
_SIZED_METHODS = {
    "ljust": _padding, "rjust": _padding, "center": _padding, "zfill": _padding,
}
_CHECKED_METHODS = {"replace": _replace, "expandtabs": _expandtabs, "join": _join}


def _getattr(obj, name, *default):
    """RestrictedPython's attribute guard (which already refuses str.format), with size checks
    on the str/bytes methods that allocate their result in one call."""
    if isinstance(obj, (str, bytes)):
        if name in _SIZED_METHODS:
            method = getattr(type(obj), name)
            check = _SIZED_METHODS[name](method)
            return lambda *args: check(obj, *args)
        if name in _CHECKED_METHODS:
            checked = _CHECKED_METHODS[name]
            return lambda *args, **kwargs: checked(obj, *args, **kwargs)
    return safer_getattr_raise(obj, name, *default)


def _build_builtins() -> dict[str, Any]:
    allowed = {k: v for k, v in safe_builtins.items()
               if not k.startswith("_") and k not in FORBIDDEN_NAMES}
    allowed.update(limited_builtins)  # range/list/tuple with size limits
    allowed.update({
        "dict": dict, "set": set, "frozenset": frozenset, "min": min, "max": max, "sum": sum,
        "any": any, "all": all, "enumerate": enumerate, "reversed": reversed, "sorted": sorted,
        "zip": zip, "map": map, "filter": filter, "pow": _pow,
    })
    return allowed


SAFE_BUILTINS: Mapping[str, Any] = _build_builtins()

# Guards RestrictedPython's generated code calls; they always override task data.
GUARDS: Mapping[str, Any] = {
    "__builtins__": SAFE_BUILTINS,
    "__name__": "bpmn_script",
    "_getattr_": _getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_print_": PrintCollector,
    "_inplacevar_": _inplacevar,
    "_apply_": _apply,
    "_binop_": _binop,
}

_code_cache: dict[tuple[str, str], CodeType] = {}
_code_cache_lock = threading.Lock()
_CODE_CACHE_MAX = 2048


def normalise(source: str, mode: str) -> str:
    """Scripts may be indented in the XML and expressions padded; strip that before compiling."""
    return source.strip() if mode == "eval" else textwrap.dedent(source).strip("\n")


def compile_source(source: str, mode: str) -> CodeType:
    """Compile once under the restricted policy, raising SandboxViolation with every reason."""
    key = (mode, source)
    code = _code_cache.get(key)
    if code is not None:
        return code
    text = normalise(source, mode)
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(text, filename=SCRIPT_FILENAME, policy=_Policy)
    except SyntaxError as exc:  # some syntax errors escape the policy's error list
        raise SandboxViolation(f"syntax error: {exc.msg} (line {exc.lineno})") from None
    if result.errors or result.code is None:
        raise SandboxViolation("; ".join(result.errors) or "the source does not compile")
    with _code_cache_lock:
        if len(_code_cache) >= _CODE_CACHE_MAX:
            _code_cache.clear()
        _code_cache[key] = result.code
    return result.code


def json_problem(value: Any, path: str, depth: int = 0) -> str | None:
    """Return why value is not plain JSON data (None if it is), naming the offending path."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return None
    if depth > 50:
        return f"{path} is nested too deeply"
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            problem = json_problem(item, f"{path}[{i}]", depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for k, item in value.items():
            if not isinstance(k, str):
                return f"{path} has a non-string key {k!r}"
            problem = json_problem(item, f"{path}[{k!r}]", depth + 1)
            if problem:
                return problem
        return None
    return f"{path} is a {type(value).__name__}, not JSON data"
