"""A restricted evaluator for the conditions and scripts inside uploaded BPMN models.

SpiffWorkflow's default script engine hands model text to ``eval``/``exec`` with full
builtins, so anyone allowed to upload a model could run code on the server. Here the text is
parsed with :func:`ast.parse`, checked against a whitelist of node types, names, methods and
attributes, and then interpreted by walking the tree: nothing user-written is ever compiled
or executed by Python itself. While walking, every value built is bounded in size, every
integer in bits and the whole run in wall-clock time, so a hostile model can neither escape
nor exhaust the server. Every failure surfaces as :class:`~engine.errors.ExpressionError`.

The language is a small subset of Python; the README's "Expressions" section lists it.
"""

from __future__ import annotations

import ast
import copy
import functools
import keyword
import math
import textwrap
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from engine.errors import ExpressionError
from engine.expression_check import (
    _BINOPS,
    _COMPARE,
    _EXPRESSIONS,
    _NUMBERS,
    _SEQUENCES,
    _SMALL_NUMERIC,
    _STATEMENTS,
    _UNARY,
    _Checker,
)
from engine.expression_functions import (
    BUILTINS,
    FORBIDDEN_NAMES,
    Budget,
    attributes_for,
    format_value,
    methods_for,
)
from engine.messages import Message

_F = TypeVar("_F", bound=Callable[..., Any])
_BUILTIN, _PLAIN, _CONTEXTUAL = range(3)
_UNSET = object()


@dataclass(frozen=True)
class Limits:
    """Bounds on one expression or script; exceeding any of them raises ExpressionError."""

    max_source_chars: int = 4000  # longer source text is refused before parsing
    max_nodes: int = 600  # syntax-tree nodes per expression or script
    max_seconds: float = 0.25  # wall-clock budget per evaluate/execute, checked while walking
    max_collection_items: int = 10_000  # length of any str/list/dict/set/tuple built
    max_int_bits: int = 4096  # size of any integer computed
    max_depth: int = 50  # nesting depth of the syntax tree
    max_value_size: int = 1_000_000  # deep size (items + characters) of any value built


DEFAULT_LIMITS = Limits()


def contextual(fn: _F) -> _F:
    """Mark a registered function as wanting the evaluation names (task data) first.

    ``deadline("appraisal")`` in a model then calls ``fn(names, "appraisal")`` where
    ``names`` is a read-only view of the task data (including a script's assignments so far).
    """
    fn.lexflow_contextual = True  # type: ignore[attr-defined]
    return fn


class _Run:
    """One evaluation: walks a checked tree against ``names`` within ``budget``."""

    __slots__ = ("assigned", "budget", "copied", "functions", "locals", "names")

    def __init__(self, functions: Mapping[str, tuple[int, Any]], names: Any, budget: Budget):
        self.functions, self.names, self.budget = functions, names, budget
        self.locals: dict[str, Any] = {}  # comprehension variables
        self.assigned: set[str] = set()  # script names to write back
        self.copied: set[str] = set()  # script names deep-copied before item assignment

    def ev(self, node: ast.AST) -> Any:
        return _EVAL[type(node)](self, node)

    def ev_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def ev_Name(self, node: ast.Name) -> Any:
        name = node.id
        if self.locals and name in self.locals:
            return self.locals[name]
        try:
            return self.names[name]
        except KeyError:
            pass
        if name in self.functions:
            raise ExpressionError(
                Message("'%(name)s' is a function: call it, as in %(name)s(...).", name=name)
            )
        raise ExpressionError(Message("name '%(name)s' is not defined", name=name))

    def ev_List(self, node: ast.List) -> list[Any]:
        return self.budget.checked([self.ev(e) for e in node.elts])

    def ev_Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return self.budget.checked(tuple(self.ev(e) for e in node.elts))

    def ev_Set(self, node: ast.Set) -> set[Any]:
        return self.budget.checked({self.ev(e) for e in node.elts})

    def ev_Dict(self, node: ast.Dict) -> dict[Any, Any]:
        return self.budget.checked(
            {self.ev(k): self.ev(v) for k, v in zip(node.keys, node.values, strict=True)}
        )  # type: ignore[arg-type]

    def ev_BinOp(self, node: ast.BinOp) -> Any:
        return self.binop(type(node.op), self.ev(node.left), self.ev(node.right))

    def binop(self, op: type, left: Any, right: Any) -> Any:
        """``left op right``, refusing results over the limits before computing them."""
        budget = self.budget
        if op in _SMALL_NUMERIC and type(left) in _NUMBERS and type(right) in _NUMBERS:
            result = _BINOPS[op](left, right)  # fast path: at most one bit longer than its input
            if type(result) is int and result.bit_length() > budget.max_bits:
                budget.bits(result.bit_length())
            return result
        if op is ast.Mult:
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, _SEQUENCES) and isinstance(times, int) and times > 1:
                    budget.items(len(seq) * times, "The repeated value")
                    size = len(seq) if isinstance(seq, str) else budget.measure(seq)
                    if size * times > budget.max_size:
                        raise ExpressionError(
                            Message(
                                "The repeated value would be larger than the limit of %(n)s.",
                                n=budget.max_size,
                            )
                        )
            if isinstance(left, int) and isinstance(right, int):
                budget.bits(left.bit_length() + right.bit_length() - 1)
        elif op is ast.Pow and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left) > 1:
                budget.bits(right * math.log2(abs(left)))
        elif op is ast.Add and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            budget.items(len(left) + len(right), "The joined value")
        elif op is ast.Mod and isinstance(left, str):
            raise ExpressionError(
                Message(
                    "Formatting text with %(operator)s is not allowed; use an f-string.",
                    operator="%",
                )
            )
        return budget.checked(_BINOPS[op](left, right))

    def ev_UnaryOp(self, node: ast.UnaryOp) -> Any:
        return _UNARY[type(node.op)](self.ev(node.operand))

    def ev_BoolOp(self, node: ast.BoolOp) -> Any:
        stop_when = not isinstance(node.op, ast.And)  # `and` stops at falsy, `or` at truthy
        for part in node.values:
            value = self.ev(part)
            if bool(value) is stop_when:
                return value
        return value

    def ev_Compare(self, node: ast.Compare) -> Any:
        left = self.ev(node.left)
        if len(node.ops) == 1:
            return _COMPARE[type(node.ops[0])](left, self.ev(node.comparators[0]))
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.ev(comparator)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def ev_IfExp(self, node: ast.IfExp) -> Any:
        return self.ev(node.body) if self.ev(node.test) else self.ev(node.orelse)

    def ev_Subscript(self, node: ast.Subscript) -> Any:
        value = self.ev(node.value)
        if type(node.slice) is ast.Slice:
            return value[self.ev_Slice(node.slice)]
        return value[self.ev(node.slice)]

    def ev_Slice(self, node: ast.Slice) -> slice:
        parts = (node.lower, node.upper, node.step)
        return slice(*(None if part is None else self.ev(part) for part in parts))

    def ev_Attribute(self, node: ast.Attribute) -> Any:
        value = self.ev(node.value)
        if node.attr not in attributes_for(value):
            kind = type(value).__name__
            raise ExpressionError(
                Message(
                    "'%(kind)s' values have no readable attribute '%(name)s'.",
                    kind=kind,
                    name=node.attr,
                )
            )
        return getattr(value, node.attr)

    def ev_Call(self, node: ast.Call) -> Any:
        budget = self.budget
        budget.tick()
        func = node.func
        if type(func) is ast.Attribute:
            target = self.ev(func.value)
            method = methods_for(target).get(func.attr)
            if method is None:
                kind = type(target).__name__
                raise ExpressionError(
                    Message(
                        "'%(kind)s' values have no method '%(name)s'.", kind=kind, name=func.attr
                    )
                )
            args, kwargs = self.arguments(node)
            return _bounded_int(budget, method(budget, target, *args, **kwargs))
        kind, function = self.functions[func.id]  # type: ignore[attr-defined]
        args, kwargs = self.arguments(node)
        if kind == _BUILTIN:
            return _bounded_int(budget, function(budget, *args, **kwargs))
        if kind == _CONTEXTUAL:
            return function(MappingProxyType(self.names), *args, **kwargs)
        return function(*args, **kwargs)

    def arguments(self, node: ast.Call) -> tuple[list[Any], dict[str, Any]]:
        kwargs = {kw.arg: self.ev(kw.value) for kw in node.keywords}
        return [self.ev(arg) for arg in node.args], kwargs  # type: ignore[return-value]

    def ev_JoinedStr(self, node: ast.JoinedStr) -> str:
        parts = []
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                spec = part.format_spec
                text = "" if spec is None else "".join(c.value for c in spec.values)  # type: ignore[attr-defined]
                parts.append(format_value(self.budget, self.ev(part.value), part.conversion, text))
            else:
                parts.append(part.value)  # type: ignore[attr-defined]
        self.budget.items(sum(len(p) for p in parts), "The f-string")
        return "".join(parts)

    def ev_ListComp(self, node: ast.ListComp | ast.GeneratorExp) -> list[Any]:
        result: list[Any] = []
        self.comprehension(node, lambda: (self.ev(node.elt),), result.append)
        return result

    ev_GeneratorExp = ev_ListComp  # generators are evaluated eagerly into lists

    def ev_SetComp(self, node: ast.SetComp) -> set[Any]:
        result: set[Any] = set()
        self.comprehension(node, lambda: (self.ev(node.elt),), result.add)
        return result

    def ev_DictComp(self, node: ast.DictComp) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        self.comprehension(
            node, lambda: (self.ev(node.key), self.ev(node.value)), result.__setitem__
        )
        return result

    def comprehension(self, node: Any, make: Callable[[], tuple], add: Callable[..., Any]) -> None:
        """Run ``node``'s generators, calling ``add(*make())`` for each combination."""
        budget, size, count = self.budget, 0, 0
        saved = {name: self.locals.get(name, _UNSET) for name in _bound_names(node.generators)}

        def loop(index: int) -> None:
            nonlocal size, count
            generator = node.generators[index]
            target, tests, last = generator.target, generator.ifs, index + 1 == len(node.generators)
            for item in budget.iterable(self.ev(generator.iter)):
                budget.tick()
                self.bind(target, item)
                if tests and not all(self.ev(test) for test in tests):
                    continue
                if not last:
                    loop(index + 1)
                    continue
                values = make()
                count += 1
                budget.items(count, "The comprehension")
                for value in values:
                    size = budget.grow(size, value)
                add(*values)

        try:
            loop(0)
        finally:
            for name, value in saved.items():
                if value is _UNSET:
                    self.locals.pop(name, None)
                else:
                    self.locals[name] = value

    def bind(self, target: ast.expr, value: Any) -> None:
        if type(target) is ast.Name:
            self.locals[target.id] = value
        else:
            for element, item in self.unpack(target, value):
                self.bind(element, item)

    def unpack(self, target: Any, value: Any) -> Iterable[tuple[ast.expr, Any]]:
        items = list(self.budget.iterable(value))
        if len(items) != len(target.elts):
            raise ExpressionError(
                Message(
                    "Cannot unpack %(count)s values into %(targets)s.",
                    count=len(items),
                    targets=len(target.elts),
                )
            )
        return zip(target.elts, items, strict=True)

    # --- scripts -----------------------------------------------------------------------------

    def run(self, statements: Iterable[ast.stmt]) -> None:
        for statement in statements:
            self.budget.tick()
            try:
                if isinstance(statement, ast.If):
                    self.run(statement.body if self.ev(statement.test) else statement.orelse)
                elif isinstance(statement, ast.Assign):
                    value = self.ev(statement.value)
                    for target in statement.targets:
                        self.assign(target, value)
                elif isinstance(statement, ast.AugAssign):
                    self.update(statement)
            except ExpressionError as exc:
                exc.line = exc.line or statement.lineno
                raise
            except Exception as exc:
                raise _wrap(exc, statement.lineno) from exc

    def assign(self, target: ast.expr, value: Any) -> None:
        if type(target) is ast.Name:
            self.names[target.id] = value
            self.assigned.add(target.id)
            self.copied.discard(target.id)  # a new value: copy it again before writing into it
        elif type(target) is ast.Subscript:
            self.store(self.container(target.value), self.ev(target.slice), value)
        else:
            for element, item in self.unpack(target, value):
                self.assign(element, item)

    def update(self, statement: ast.AugAssign) -> None:
        target, op = statement.target, type(statement.op)
        if type(target) is ast.Name:
            self.assign(target, self.binop(op, self.ev_Name(target), self.ev(statement.value)))
        else:
            container = self.container(target.value)  # type: ignore[attr-defined]
            key = self.ev(target.slice)  # type: ignore[attr-defined]
            self.store(container, key, self.binop(op, container[key], self.ev(statement.value)))

    def store(self, container: Any, key: Any, value: Any) -> None:
        """``container[key] = value``, refusing a growth past the limits or a cycle."""
        size = len(container)
        self.budget.forget()
        container[key] = value
        if len(container) > size:
            self.budget.items(len(container), "The dict")
        self.budget.measure(value)  # a value containing its own container never ends

    def container(self, node: ast.expr) -> Any:
        """The dict or list ``node`` names, deep-copying its root name on the first write so
        a failing script leaves the caller's data untouched."""
        if type(node) is ast.Name:
            if node.id not in self.copied:
                self.names[node.id] = copy.deepcopy(self.ev_Name(node))
                self.copied.add(node.id)
                self.assigned.add(node.id)
            value = self.names[node.id]
        else:
            value = self.container(node.value)[self.ev(node.slice)]  # type: ignore[attr-defined]
        if not isinstance(value, dict | list):
            kind = type(value).__name__
            raise ExpressionError(
                Message("Only dict and list items can be assigned, not %(kind)s items.", kind=kind)
            )
        return value


_EVAL: dict[type, Callable[[_Run, Any], Any]] = {
    getattr(ast, name[3:]): method for name, method in vars(_Run).items() if name.startswith("ev_")
}


def _bounded_int(budget: Budget, value: Any) -> Any:
    """Built-ins and methods never grow a collection past their (bounded) inputs, but int()
    and sum() can make integers bigger than the limit."""
    if type(value) is int:
        budget.bits(value.bit_length())
    return value


def _bound_names(generators: Iterable[ast.comprehension]) -> list[str]:
    names: list[str] = []
    targets: list[Any] = [g.target for g in generators]
    while targets:
        target = targets.pop()
        if type(target) is ast.Name:
            names.append(target.id)
        else:
            targets.extend(target.elts)
    return names


def _wrap(exc: Exception, line: int | None = None) -> ExpressionError:
    """The ExpressionError to raise for a Python exception met while evaluating."""
    if isinstance(exc, ZeroDivisionError):
        message: str = Message("Division by zero.")
    elif isinstance(exc, KeyError):
        key = repr(exc.args[0])[:80] if exc.args else ""
        message = Message("The key %(key)s was not found.", key=key)
    elif isinstance(exc, IndexError):
        message = Message("The index is out of range.")
    elif isinstance(exc, RecursionError | MemoryError):
        message = Message("The value is too large or too deeply nested.")
    else:
        message = f"{type(exc).__name__}: {str(exc)[:300]}"
    return ExpressionError(message, line=line)


class SafeEvaluator:
    """Checks and runs model conditions and scripts without giving them Python's powers.

    Instances are immutable and thread-safe to share; parsed and checked trees are cached per
    instance (keyed by source), so re-evaluating a gateway condition costs only the walk.
    """

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        """``functions`` are trusted developer helpers added to (or replacing) the built-ins.

        Raises ValueError/TypeError for a name models could not call or a non-callable.
        """
        self._limits = limits
        self._registered = dict(functions or {})
        table: dict[str, tuple[int, Any]] = {n: (_BUILTIN, f) for n, f in BUILTINS.items()}
        for name, function in self._registered.items():
            if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
                raise ValueError(f"{name!r} cannot be used as a function name in expressions")
            if name in FORBIDDEN_NAMES:
                raise ValueError(f"{name!r} is a forbidden name in expressions")
            if not callable(function):
                raise TypeError(f"the function registered as {name!r} is not callable")
            kind = _CONTEXTUAL if getattr(function, "lexflow_contextual", False) else _PLAIN
            table[name] = (kind, function)
        self._functions = table
        self._parse = functools.lru_cache(maxsize=2048)(self._parse_source)

    def with_functions(self, functions: Mapping[str, Callable[..., Any]]) -> SafeEvaluator:
        """A new evaluator with the same limits and these functions registered as well."""
        return SafeEvaluator({**self._registered, **functions}, self._limits)

    @property
    def function_names(self) -> frozenset[str]:
        """Every name a model may call: the built-ins plus the registered functions."""
        return frozenset(self._functions)

    @property
    def limits(self) -> Limits:
        """The limits every evaluation and script run by this evaluator is held to."""
        return self._limits

    def cache_info(self) -> functools._CacheInfo:
        """Hits and misses of the parse cache (how often a source was parsed and checked)."""
        return self._parse.cache_info()

    def check_expression(self, source: str) -> None:
        """Parse and check an expression without running it (e.g. at deploy time)."""
        self._tree(source, "eval")

    def check_script(self, source: str) -> None:
        """Parse and check a script without running it (e.g. at deploy time)."""
        self._tree(source, "exec")

    def evaluate(self, source: str, names: Mapping[str, Any]) -> Any:
        """The value of expression ``source`` with ``names`` (task data) as variables."""
        tree = self._tree(source, "eval")
        try:
            return _Run(self._functions, names, self._budget()).ev(tree)
        except ExpressionError:
            raise
        except Exception as exc:
            raise _wrap(exc) from exc

    def execute(self, source: str, names: MutableMapping[str, Any]) -> None:
        """Run script ``source``; its assignments are written to ``names`` only if it succeeds.

        Item assignment (``x[k] = v``) works on a deep copy of ``x`` that replaces it at the
        end, so other names that shared the old value do not see the change.
        """
        statements = self._tree(source, "exec")
        run = _Run(self._functions, dict(names), self._budget())
        run.run(statements)
        for name in run.assigned:
            names[name] = run.names[name]

    def _budget(self) -> Budget:
        limits = self._limits
        return Budget(
            max_items=limits.max_collection_items,
            max_size=limits.max_value_size,
            max_bits=limits.max_int_bits,
            seconds=limits.max_seconds,
        )

    def _tree(self, source: str, mode: Literal["eval", "exec"]) -> Any:
        if not isinstance(source, str):
            raise ExpressionError(
                Message("Expected expression text, got %(kind)s.", kind=type(source).__name__)
            )
        return self._parse(source, mode)

    def _parse_source(self, source: str, mode: Literal["eval", "exec"]) -> Any:
        what = Message("expression") if mode == "eval" else Message("script")
        if len(source) > self._limits.max_source_chars:
            raise ExpressionError(
                Message(
                    "The %(what)s is %(length)s characters long; the limit is %(n)s.",
                    what=what,
                    length=len(source),
                    n=self._limits.max_source_chars,
                )
            )
        try:
            tree = ast.parse(textwrap.dedent(source), mode=mode)
        except SyntaxError as exc:
            problem = Message("Syntax error: %(problem)s", problem=exc.msg)
            if exc.lineno:
                problem = Message(
                    "%(problem)s at %(line)s:%(column)s",
                    problem=problem,
                    line=exc.lineno,
                    column=exc.offset,
                )
            raise ExpressionError(problem, line=exc.lineno) from exc
        except (ValueError, RecursionError, MemoryError) as exc:
            raise ExpressionError(
                Message("The %(what)s is too deeply nested or not valid text.", what=what)
            ) from exc
        allowed = _EXPRESSIONS if mode == "eval" else _STATEMENTS
        checker = _Checker(self._functions, self._limits, allowed)
        if isinstance(tree, ast.Expression):
            checker.visit(tree.body, 1)
            return tree.body
        for statement in tree.body:
            checker.visit(statement, 1)
        return tuple(tree.body)
