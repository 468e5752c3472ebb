"""The restricted evaluator: what models may compute, and what they can never do."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from engine import clock
from engine.errors import ExpressionError
from engine.expressions import Limits, SafeEvaluator, contextual


def _names() -> dict[str, Any]:
    return {
        "decision": "approve",
        "missing": [],
        "amount": 1500,
        "items": [{"name": "a", "amount": 3}, {"name": "b", "amount": 4}],
        "reviewers": ["An", "Binh"],
        "meta": {"kind": "decree", "pages": 12},
        "title": "  Quyết định 12  ",
        "nothing": None,
        "due": date(2024, 5, 10),
        "submitted": datetime(2024, 5, 1, 8, 30, tzinfo=UTC),
    }


@pytest.fixture
def evaluator() -> SafeEvaluator:
    return SafeEvaluator()


GOOD_EXPRESSIONS = [
    ('decision == "approve" and len(missing) == 0', True),
    ('amount > 1000 or decision == "reject"', True),
    ('decision == "reject" or missing', []),
    ("not missing", True),
    ("\n    amount > 1000\n", True),
    ("1 + 2 * 3 - 4 / 2", 5.0),
    ("(7 // 2, 7 % 2, 2 ** 10, -3, +3, -2 ** 2)", (3, 1, 1024, -3, 3, -4)),
    ("1 < amount <= 2000", True),
    ("1 < 2 > 3", False),
    ('"binh" in reviewers[1].lower()', True),
    ('"Chi" not in reviewers', True),
    ("nothing is None and decision is not None", True),
    ("amount if amount > 2000 else 0", 0),
    ('items[0]["name"] + reviewers[-1] + title.strip()[:3]', "aBinhQuy"),
    ("reviewers[::-1]", ["Binh", "An"]),
    ('[i["amount"] * 2 for i in items if i["amount"] > 3]', [8]),
    ('{i["name"]: i["amount"] for i in items}', {"a": 3, "b": 4}),
    ("{x % 3 for x in range(10)}", {0, 1, 2}),
    ('sum(i["amount"] for i in items)', 7),
    ('[(a, b) for a in range(2) for b in "xy"]', [(0, "x"), (0, "y"), (1, "x"), (1, "y")]),
    ("[amount for amount in [1, 2]] + [amount]", [1, 2, 1500]),
    ("[(k, v) for k, v in meta.items() if k == 'pages']", [("pages", 12)]),
    (
        'f"{decision!r}: {amount:,} {1 / 3:.2f} {title.strip()}"',
        "'approve': 1,500 0.33 Quyết định 12",
    ),
    ('f"{due:%d/%m/%Y} {amount:>6}|{nothing!s}"', "10/05/2024   1500|None"),
    ('meta.get("kind") == "decree" and meta.get("other", 0) == 0', True),
    ("sorted(meta.keys()) + sorted([3, 1, 2], reverse=True)[1:]", ["kind", "pages", 2, 1]),
    (
        '(max(reviewers, default=""), min(3, 1, 2), abs(-2), round(2.5), round(1.2345, 2))',
        ("Binh", 1, 2, 2, 1.23),
    ),
    ('int("42") + float("0.5") + int("ff", 16)', 297.5),
    ("str(12) + str([1, 'a']) + str()", "12[1, 'a']"),
    ("(bool([]), any([0, 1]), all([]), len(range(5)))", (False, True, True, 5)),
    (
        '(reversed([1, 2, 3]), range(1, 7, 2), tuple("ab"), set([1, 1]))',
        ([3, 2, 1], [1, 3, 5], ("a", "b"), {1}),
    ),
    ('(dict(a=1), dict([("b", 2)]), list({"c": 3}))', ({"a": 1}, {"b": 2}, ["c"])),
    ('(enumerate("ab", 1), zip([1, 2], "ab"))', ([(1, "a"), (2, "b")], [(1, "a"), (2, "b")])),
    ('", ".join(reviewers) + "-".join("a b".split())', "An, Binha-b"),
    ('"Abc".replace("b", "x").upper() + "x".capitalize() + "ab cd".title()', "AXCXAb Cd"),
    (
        '("12".isdigit(), title.count("2"), title.find("12"), " a ".lstrip(), "a.".rstrip("."))',
        (True, 1, 13, "a ", "a"),
    ),
    ('(title.startswith("  Q"), title.endswith("x"), reviewers.count("An"))', (True, False, 1)),
    ('reviewers.index("Binh") + (1, 2).index(2) + (1, 1).count(1)', 4),
    (
        "({1, 2} | {3}, {1, 2} & {2}, {1, 2} ^ {2}, {1, 2} - {1}, {'a': 1} | {'b': 2})",
        ({1, 2, 3}, {2}, {1}, {2}, {"a": 1, "b": 2}),
    ),
    ('([0] * 3 + [1], "ab" * 2, 3 * (1,))', ([0, 0, 0, 1], "abab", (1, 1, 1))),
    ("2 ** 4000 > 10 ** 1000", True),
    ("due.year * 100 + due.month + due.day", 202415),
    (
        "(due.weekday(), due.isoweekday(), due.isoformat(), due.strftime('%Y/%m'))",
        (4, 5, "2024-05-10", "2024/05"),
    ),
    (
        "(submitted.hour, submitted.minute, submitted.second, submitted.date())",
        (8, 30, 0, date(2024, 5, 1)),
    ),
    ("(due - submitted.date()).days", 9),
    ("(timedelta(days=1, hours=12).total_seconds(), timedelta(weeks=1).days)", (129600.0, 7)),
    ("submitted + timedelta(minutes=30) == datetime(2024, 5, 1, 9)", True),
    ("datetime(2024, 1, 2, 3, 4, 5).isoformat()", "2024-01-02T03:04:05+00:00"),
    ("add_days(due, 5)", date(2024, 5, 15)),
    ('add_days("2024-05-01T23:00:00+00:00", 1)', datetime(2024, 5, 2, 23, tzinfo=UTC)),
    ('days_between("2024-05-01", due)', 9),
    ('days_between(due, "2024-05-01")', -9),
    ('parse_date("2024-05-01T20:00:00Z")', date(2024, 5, 2)),  # 03:00 next day in Hanoi
    ('parse_date("2024-05-01")', date(2024, 5, 1)),
    ('parse_datetime("2024-05-01T08:00:00")', datetime(2024, 5, 1, 8, tzinfo=UTC)),
    ('parse_datetime("2024-05-01T08:00:00+07:00")', datetime(2024, 5, 1, 1, tzinfo=UTC)),
    ('(isoformat(date(2024, 1, 2)), isoformat("2024-01-02"))', ("2024-01-02", "2024-01-02")),
]


@pytest.mark.parametrize(("source", "expected"), GOOD_EXPRESSIONS)
def test_expression_values(evaluator: SafeEvaluator, source: str, expected: Any) -> None:
    result = evaluator.evaluate(source, _names())
    assert result == expected
    assert type(result) is type(expected)


FROZEN = datetime(2024, 5, 1, 20, 0, tzinfo=UTC)  # already 2 May in Asia/Ho_Chi_Minh


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("now()", FROZEN),
        ("today()", date(2024, 5, 2)),
        ("days_between(today(), due)", 8),
        ("days_between(now(), due)", 8),
        ("now() - timedelta(hours=20) == datetime(2024, 5, 1)", True),
        ("add_days(today(), 30).isoformat()", "2024-06-01"),
    ],
)
def test_date_helpers_read_the_engine_clock(
    evaluator: SafeEvaluator, source: str, expected: Any
) -> None:
    with clock.frozen_at(FROZEN):
        assert evaluator.evaluate(source, _names()) == expected


@contextual
def _deadline(names: Mapping[str, Any], stage: str) -> int:
    base = {"appraisal": 15, "review": 7}[stage]
    return base + (10 if names.get("document_type") == "decree" else 0)


def test_registered_and_contextual_functions() -> None:
    evaluator = SafeEvaluator({"deadline": _deadline, "double": lambda value: value * 2})
    names = {"document_type": "decree"}
    assert evaluator.evaluate('deadline("appraisal") + double(1)', names) == 27
    assert evaluator.evaluate('deadline(stage="review")', {}) == 7
    assert {"deadline", "double", "len", "days_between"} <= evaluator.function_names


def test_contextual_function_sees_script_assignments() -> None:
    evaluator = SafeEvaluator({"deadline": _deadline})
    names: dict[str, Any] = {}
    evaluator.execute('document_type = "decree"\ndays = deadline("review")', names)
    assert names == {"document_type": "decree", "days": 17}


def test_registered_function_replaces_builtin_and_with_functions_copies() -> None:
    base = SafeEvaluator({"len": lambda value: -1})
    assert base.evaluate("len([1, 2])", {}) == -1
    extended = base.with_functions({"triple": lambda value: value * 3})
    assert extended.evaluate("triple(len([]))", {}) == -3
    assert "triple" not in base.function_names
    with pytest.raises(ExpressionError, match="not a function you can call"):
        base.check_expression("triple(1)")


@pytest.mark.parametrize(
    ("functions", "error"),
    [({"_hidden": len}, ValueError), ({"eval": len}, ValueError), ({"if": len}, ValueError),
     ({"answer": 42}, TypeError)],
)  # fmt: skip
def test_registering_an_unusable_function_fails(functions: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        SafeEvaluator(functions)


SCRIPT = """
total = sum(i["amount"] for i in items)
first, (second, third) = reviewers[0], ["x", "y"]
meta["pages"] += 1
meta["status"] = "checked"
items[1]["amount"] = 10
if total > 100:
    level = "high"
elif total > 5:
    level = "medium"
else:
    level = "low"
counter = count = 0
counter += len(reviewers)
pass
"""


def test_script_updates_names(evaluator: SafeEvaluator) -> None:
    names = _names()
    original_meta = names["meta"]
    evaluator.execute(SCRIPT, names)
    assert (names["total"], names["level"], names["counter"], names["count"]) == (7, "medium", 2, 0)
    assert (names["first"], names["second"], names["third"]) == ("An", "x", "y")
    assert names["meta"] == {"kind": "decree", "pages": 13, "status": "checked"}
    assert names["items"][1] == {"name": "b", "amount": 10}
    # item assignment works on a copy that replaces the name: the old object is untouched
    assert original_meta == {"kind": "decree", "pages": 12}


def test_item_assignment_never_reaches_other_names(evaluator: SafeEvaluator) -> None:
    names: dict[str, Any] = {"a": [0], "b": [0]}
    evaluator.execute("a[0] = 1\nalias = a\na = b\na[0] = 2", names)
    assert names == {"a": [2], "b": [0], "alias": [1]}


def test_failing_script_changes_nothing(evaluator: SafeEvaluator) -> None:
    names = _names()
    before = copy.deepcopy(names)
    with pytest.raises(ExpressionError, match="Division by zero") as info:
        evaluator.execute('flag = True\nmeta["pages"] = 0\nratio = 1 / meta["pages"]', names)
    assert info.value.line == 3
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert names == before


@pytest.mark.parametrize(
    ("source", "cause"),
    [("1 / 0", ZeroDivisionError), ("meta['nope']", KeyError), ("reviewers[5]", IndexError),
     ("1 + 'a'", TypeError), ("int('x')", ValueError), ("submitted < due", TypeError),
     ("date(2024, 2, 30)", ValueError)],
)  # fmt: skip
def test_runtime_errors_are_expression_errors_with_cause(
    evaluator: SafeEvaluator, source: str, cause: type
) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluator.evaluate(source, _names())
    assert isinstance(info.value.__cause__, cause)


@pytest.mark.parametrize(
    ("source", "message"),
    [("nope + 1", "name 'nope' is not defined"), ("len", "'len' is a function"),
     ("missing.year", "no readable attribute 'year'"), ("due.upper()", "no method 'upper'"),
     ("now().replace(year=1)", "no method 'replace'")],
)  # fmt: skip
def test_runtime_refusals(evaluator: SafeEvaluator, source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluator.evaluate(source, _names())


@pytest.mark.parametrize(
    ("method", "source", "line", "position"),
    [
        ("check_expression", "1 +", 1, "1:"),
        ("check_expression", "amount + lambda: 1", 1, "1:10"),
        ("check_script", "a = 1\nb = lambda: 2", 2, "2:5"),
        ("check_script", "a = 1\nimport os", 2, "2:1"),
    ],
)
def test_static_errors_carry_line_and_column(
    evaluator: SafeEvaluator, method: str, source: str, line: int, position: str
) -> None:
    with pytest.raises(ExpressionError) as info:
        getattr(evaluator, method)(source)
    assert info.value.line == line
    assert f" at {position}" in info.value.message


# --- the hostile corpus ----------------------------------------------------------------------
# PWNED is replaced by a path under tmp_path: after each attempt that directory must be empty.

HOSTILE_EXPRESSIONS = [
    "__import__('os').system('touch PWNED')",
    "__import__",
    "__builtins__",
    "().__class__.__bases__[0].__subclasses__()",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "x.__class__.__mro__[-1].__subclasses__()",
    "open('PWNED', 'w').write('x')",
    "open('/etc/passwd').read()",
    "eval('1')",
    "exec('x = 1')",
    "compile('1', 'f', 'eval')",
    "getattr(x, '__class__')",
    "type(x)",
    "globals()",
    "locals()",
    "vars()",
    "dir()",
    "breakpoint()",
    "print('hi')",
    "x.__dict__",
    "'{0.__class__}'.format(x)",
    "'{0.__init__.__globals__}'.format_map(d)",
    "f'{x.__class__}'",
    "f'{x:{y}}'",
    "f'{x:>99999999}'",
    "f'{x!a}'",
    "'a'.format",
    "'%s' % x",
    "'%999999999s' % x",
    "lambda: 1",
    "(lambda: 1)()",
    "(yield)",
    "await x",
    "(x := 1)",
    "_private",
    "x._y",
    "(i for i in []).gi_frame.f_globals",
    "str.mro()",
    "[].__class__",
    "''.join.__self__",
    "x.upper.__globals__",
    "date.today.__self__",
    "now().__class__",
    "now().astimezone",
    "d.pop('a')",
    "d.update(a=2)",
    "lst.append(1)",
    "'a'.__len__()",
    "{1: 2}.__getitem__(1)",
    "date(2024, 1, 1).__reduce__()",
    "len(*lst)",
    "dict(**d)",
    "[*lst]",
    "{**d}",
    "zip(*lst)",
    "len(lst)(1)",
    "lst[0]()",
    "[len for len in lst]",
    "x is 1",
    "b'abc'",
    "1j",
    "...",
    "1 << 100000",
    "~1",
    "dict(__class__=1)",
    "'a' * 10**9",
    "[0] * 10**9",
    "10 ** 10 ** 10",
    "2 ** 100000",
    "'x' * 5000 * 5000",
    "list(range(10**9))",
    "sum(range(10**12))",
    "sorted(range(10**8))",
    "max(range(10**10))",
    "'a' in 'b' * 10**9",
    "[[0] * 10000 for i in range(10000)]",
    "[[0] * 10000] * 1000",
    "[[[[0] * 10] * 10] * 10] * 10000",
    "str([[0] * 100] * 100)",
    "f'{[[0] * 100] * 100}'",
    "'-'.join(['x' * 5000] * 3)",
    "('x' * 10000).replace('x', 'yyyy')",
    "('x' * 10000) + ('y' * 10000)",
    "round(1.5, 10**9)",
    "int('9' * 2000)",
    "sum([[1]] * 100, [])",
    "now().strftime('%-d')",
    "[1 for a in range(5000) for b in range(5000) if a < 0]",
    "(" * 1000 + "1" + ")" * 1000,
    "[" * 100 + "]" * 100,
    "-" * 60 + "1",
    "-" * 3990 + "1",
    "1 + " * 2000 + "1",
]


def _hostile_names() -> dict[str, Any]:
    return {"x": "text", "y": 5, "d": {"a": 1}, "lst": [1, 2]}


def _assert_inert(tmp_path: Path, names: dict[str, Any], before: dict[str, Any]) -> None:
    assert list(tmp_path.iterdir()) == []
    assert names == before


@pytest.mark.parametrize("source", HOSTILE_EXPRESSIONS)
def test_hostile_expression_is_refused_and_inert(
    evaluator: SafeEvaluator, tmp_path: Path, source: str
) -> None:
    names = _hostile_names()
    before = copy.deepcopy(names)
    with pytest.raises(ExpressionError) as info:
        evaluator.evaluate(source.replace("PWNED", str(tmp_path / "PWNED_x")), names)
    assert info.value.message
    _assert_inert(tmp_path, names, before)


HOSTILE_SCRIPTS = [
    "import os\nos.system('touch PWNED')",
    "from os import system",
    "x.y = 1",
    "del x",
    "global x",
    "nonlocal x",
    "def f():\n    pass",
    "async def f():\n    pass",
    "class A:\n    pass",
    "with open('PWNED', 'w') as f:\n    pass",
    "for i in range(10**9):\n    pass",
    "while True:\n    pass",
    "try:\n    pass\nexcept Exception:\n    pass",
    "raise SystemExit",
    "assert False",
    "return 1",
    "len = 1",
    "x, len = 1, 2",
    "_x = 1",
    "x: int = 1",
    "print(x)",
    "x",
    "lst[0:1] = [9]",
    "*a, b = [1, 2, 3]",
    "len(lst)[0] = 1",
    "x.upper = 1",
    "if True:\n    import os",
    "y = 1\ny.__class__ = 1",
    "y = 2\nd['a'] = 1 / 0",
    "d['a'] = 2\nd['self'] = d",
    "lst[0] = 0\nlst[1] = lst",
    "row = [0] * 10000\ngrid = [row] * 10000",
    "x += 'a' * 10**9",
    "a, b = range(10**9)",
    "a, b = [1, 2, 3]",
    "y[0] = 1",
    "x = open('PWNED', 'w')",
]


@pytest.mark.parametrize("source", HOSTILE_SCRIPTS)
def test_hostile_script_is_refused_and_inert(
    evaluator: SafeEvaluator, tmp_path: Path, source: str
) -> None:
    names = _hostile_names()
    before = copy.deepcopy(names)
    with pytest.raises(ExpressionError) as info:
        evaluator.execute(source.replace("PWNED", str(tmp_path / "PWNED_x")), names)
    assert info.value.message
    _assert_inert(tmp_path, names, before)


def test_slow_comprehension_hits_the_time_limit() -> None:
    evaluator = SafeEvaluator(limits=Limits(max_seconds=0.05))
    with pytest.raises(ExpressionError, match=r"longer than the 0\.05 s"):
        evaluator.evaluate("[1 for a in range(3000) for b in range(3000) if a < 0]", {})


@pytest.mark.parametrize(
    ("limits", "source", "message"),
    [(Limits(max_source_chars=100_000), "1 if True else " * 1000 + "1", "nested more than 50"),
     (Limits(max_source_chars=10), "amount + amount", "15 characters long"),
     (Limits(max_nodes=5), "[1, 2, 3, 4, 5]", "more than 5 parts"),
     (Limits(max_collection_items=5), "[1, 2, 3, 4, 5, 6]", "limit is 5"),
     (Limits(max_collection_items=5), "range(6)", "limit is 5"),
     (Limits(max_int_bits=64), "2 ** 64", "limit is 64"),
     (Limits(max_int_bits=64), "(2 ** 40) * (2 ** 40)", "limit is 64")],
)  # fmt: skip
def test_limits_are_configurable(limits: Limits, source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        SafeEvaluator(limits=limits).evaluate(source, {"amount": 1})


def test_check_functions_never_evaluate() -> None:
    calls: list[str] = []

    def spy(*args: Any) -> int:
        calls.append("called")
        return 1

    evaluator = SafeEvaluator({"spy": spy})
    evaluator.check_expression("spy(1) + spy(2)")
    evaluator.check_script("a = spy()\nif spy():\n    b = spy()")
    with pytest.raises(ExpressionError, match="not allowed"):
        evaluator.check_expression("spy() + __import__('os').getpid()")
    with pytest.raises(ExpressionError, match="import"):
        evaluator.check_script("a = spy()\nimport os")
    assert calls == []
    assert evaluator.evaluate("spy()", {}) == 1
    assert calls == ["called"]


def test_parsed_trees_are_cached(evaluator: SafeEvaluator) -> None:
    source = 'decision == "approve" and len(missing) == 0'
    evaluator.check_expression(source)
    for _ in range(3):
        assert evaluator.evaluate(source, _names()) is True
    info = evaluator.cache_info()
    assert (info.misses, info.hits) == (1, 3)


def test_non_text_source_is_refused(evaluator: SafeEvaluator) -> None:
    with pytest.raises(ExpressionError, match="got NoneType"):
        evaluator.evaluate(None, {})  # type: ignore[arg-type]
