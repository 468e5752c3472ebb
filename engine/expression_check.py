"""Static checking of expression and script syntax trees against Lexflow's whitelist.

Split from :mod:`engine.expressions` so that the rules a model must pass at deploy time
(which node types, names, methods and attributes exist at all) read as one list, apart from
the interpreter that runs what passed.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from engine.errors import ExpressionError
from engine.messages import Message

if TYPE_CHECKING:
    from engine.expressions import Limits

from engine.expression_functions import ATTRIBUTE_NAMES, FORBIDDEN_NAMES, METHOD_NAMES, spec_is_safe

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow, ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
}  # fmt: skip
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_,
}  # fmt: skip
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}  # fmt: skip
_EXPRESSIONS = frozenset({
    ast.Constant, ast.Name, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.BinOp, ast.UnaryOp,
    ast.BoolOp, ast.Compare, ast.IfExp, ast.Subscript, ast.Slice, ast.Call, ast.keyword,
    ast.Attribute, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
    ast.comprehension, ast.JoinedStr, ast.FormattedValue,
})  # fmt: skip
_STATEMENTS = _EXPRESSIONS | {ast.Assign, ast.AugAssign, ast.Pass, ast.If}
_OPERATOR_NODES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
_CONSTANTS = frozenset({str, int, float, bool, type(None)})
_SEQUENCES = (str, list, tuple)
_NUMBERS = frozenset({int, float, bool})
_SMALL_NUMERIC = frozenset(_BINOPS) - {ast.Mult, ast.Pow}
_DESCRIPTIONS: dict[type, str] = {
    ast.Lambda: "lambda", ast.NamedExpr: Message("The := operator"), ast.Yield: "yield",
    ast.YieldFrom: "yield from", ast.Await: "await", ast.Starred: Message("Unpacking with *"),
    ast.Import: "import", ast.ImportFrom: "import",
    ast.FunctionDef: Message("Defining functions"),
    ast.AsyncFunctionDef: Message("Defining functions"), ast.ClassDef: Message("Defining classes"),
    ast.For: Message("A for loop (use a comprehension)"), ast.While: Message("A while loop"),
    ast.With: "with", ast.Try: "try", ast.Raise: "raise", ast.Assert: "assert",
    ast.Delete: "del", ast.Global: "global", ast.Nonlocal: "nonlocal", ast.Return: "return",
    ast.Expr: Message("A statement that only computes a value (scripts may only assign)"),
    ast.AnnAssign: Message("An annotated assignment"), ast.Invert: Message("The ~ operator"),
    ast.LShift: Message("The << operator"), ast.RShift: Message("The >> operator"),
    ast.MatMult: Message("The @ operator"),
}  # fmt: skip


def _not_allowed(what: str) -> Message:
    return Message("%(what)s is not allowed", what=what)


class _Checker:
    """Static whitelist check of one parsed tree; raises ExpressionError at the first problem."""

    def __init__(self, functions: Mapping[str, Any], limits: Limits, allowed: frozenset) -> None:
        self.functions, self.limits, self.allowed = functions, limits, allowed
        self.nodes = 0
        self.calls: set[int] = set()  # ids of Name/Attribute nodes used as call targets
        self.targets: set[int] = set()  # ids of nodes allowed to be assigned to

    def fail(self, node: Any, message: str) -> NoReturn:
        line = getattr(node, "lineno", None)
        if line:
            column = node.col_offset + 1
            message = Message(
                "%(problem)s at %(line)s:%(column)s", problem=message, line=line, column=column
            )
        raise ExpressionError(message, line=line)

    def visit(self, node: ast.AST, depth: int) -> None:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            self.fail(node, Message("The text has more than %(n)s parts", n=self.limits.max_nodes))
        if depth > self.limits.max_depth:
            self.fail(
                node,
                Message("The text is nested more than %(n)s levels deep", n=self.limits.max_depth),
            )
        kind = type(node)
        if kind not in self.allowed:
            self.fail(node, _not_allowed(_DESCRIPTIONS.get(kind, kind.__name__)))
        check = getattr(self, "check_" + kind.__name__, None)
        if check is not None:
            check(node)
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, _OPERATOR_NODES):
                self.visit(child, depth + 1)

    def check_Constant(self, node: ast.Constant) -> None:
        if type(node.value) not in _CONSTANTS:
            self.fail(
                node, Message("%(kind)s literals are not allowed", kind=type(node.value).__name__)
            )
        if type(node.value) is int and node.value.bit_length() > self.limits.max_int_bits:
            self.fail(node, Message("The number is too large"))

    def check_Name(self, node: ast.Name) -> None:
        name = node.id
        if name.startswith("_") or name in FORBIDDEN_NAMES:
            self.fail(node, Message("The name '%(name)s' is not allowed", name=name))
        if id(node) in self.calls and name not in self.functions:
            self.fail(node, Message("'%(name)s' is not a function you can call", name=name))
        if isinstance(node.ctx, ast.Store):
            self.store(node)
            if name in self.functions:
                self.fail(
                    node, Message("'%(name)s' is a function and cannot be assigned to", name=name)
                )

    def check_Attribute(self, node: ast.Attribute) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.fail(node, Message("Assigning to an attribute is not allowed"))
        if id(node) in self.calls:
            if node.attr not in METHOD_NAMES:
                self.fail(node, Message("The method '%(name)s' is not allowed", name=node.attr))
        elif node.attr not in ATTRIBUTE_NAMES:
            self.fail(node, Message("The attribute '%(name)s' is not allowed", name=node.attr))

    def check_Call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name | ast.Attribute):
            self.fail(node, Message("Only named functions and methods can be called"))
        self.calls.add(id(node.func))
        if any(kw.arg is None for kw in node.keywords):
            self.fail(node, Message("Unpacking arguments with ** is not allowed"))
        if any(kw.arg and kw.arg.startswith("_") for kw in node.keywords):
            self.fail(node, Message("Argument names starting with '_' are not allowed"))

    def check_Dict(self, node: ast.Dict) -> None:
        if None in node.keys:
            self.fail(node, Message("Unpacking with ** is not allowed"))

    def check_BinOp(self, node: ast.BinOp) -> None:
        if type(node.op) not in _BINOPS:
            self.fail(
                node, _not_allowed(_DESCRIPTIONS.get(type(node.op), Message("This operator")))
            )

    def check_UnaryOp(self, node: ast.UnaryOp) -> None:
        if type(node.op) not in _UNARY:
            self.fail(
                node, _not_allowed(_DESCRIPTIONS.get(type(node.op), Message("This operator")))
            )

    def check_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for index, op in enumerate(node.ops):
            if isinstance(op, ast.Is | ast.IsNot) and not any(
                isinstance(o, ast.Constant) and o.value is None for o in operands[index : index + 2]
            ):
                self.fail(node, Message("'is' and 'is not' may only compare with None"))

    def check_FormattedValue(self, node: ast.FormattedValue) -> None:
        if node.conversion not in (-1, ord("s"), ord("r")):
            self.fail(node, Message("Only the !r and !s conversions are allowed in f-strings"))
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            if not all(isinstance(p, ast.Constant) for p in parts):
                self.fail(node, Message("Format specs may not contain {fields}"))
            if not spec_is_safe("".join(p.value for p in parts)):  # type: ignore[attr-defined]
                self.fail(node, Message("This format spec is not allowed"))

    def check_comprehension(self, node: ast.comprehension) -> None:
        if node.is_async:
            self.fail(node.target, Message("async comprehensions are not allowed"))
        self.target(node.target, items=False)

    def check_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self.target(target, items=True)

    def check_AugAssign(self, node: ast.AugAssign) -> None:
        if type(node.op) not in _BINOPS:
            self.fail(
                node, _not_allowed(_DESCRIPTIONS.get(type(node.op), Message("This operator")))
            )
        if not isinstance(node.target, ast.Name | ast.Subscript):
            self.fail(node, Message("Only names and items can be updated with an operator"))
        self.target(node.target, items=True)

    def target(self, node: ast.expr, *, items: bool) -> None:
        """Allow ``node`` as an assignment target: names, tuples of them, and (if ``items``)
        ``x[k]`` chains rooted at a name."""
        if isinstance(node, ast.Tuple | ast.List):
            for element in node.elts:
                self.target(element, items=items)
        elif isinstance(node, ast.Subscript) and items:
            if isinstance(node.slice, ast.Slice):
                self.fail(node, Message("Assigning to a slice is not allowed"))
            root = node.value
            while isinstance(root, ast.Subscript):
                root = root.value
            if not isinstance(root, ast.Name):
                self.fail(node, Message("Only items of a named dict or list can be assigned"))
        elif isinstance(node, ast.Attribute):
            self.fail(node, Message("Assigning to an attribute is not allowed"))
        elif not isinstance(node, ast.Name):
            if items:
                self.fail(node, Message("You can only assign to names, items (x[k]) or tuples"))
            self.fail(node, Message("You can only assign to names or tuples of names"))
        self.targets.add(id(node))

    def store(self, node: ast.AST) -> None:
        if id(node) not in self.targets:
            self.fail(node, Message("Assignment is not allowed here"))

    def check_Subscript(self, node: ast.Subscript | ast.Tuple | ast.List) -> None:
        if isinstance(node.ctx, ast.Store):
            self.store(node)

    check_Tuple = check_List = check_Subscript
