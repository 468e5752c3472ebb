"""What expressions may call: the built-in function whitelist, safe methods and attributes.

Split out of :mod:`engine.expressions` so the interpreter stays readable. Everything here is
plain Python called by the interpreter with a :class:`Budget` first, so each helper can refuse
to build a value that would break the evaluation limits *before* allocating it. Functions
return lists where Python would return an iterator or a view (``range``, ``zip``, ``keys``...)
so that every value a script stores in task data is plain, serialisable data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from itertools import islice
from time import monotonic
from typing import Any

from engine import clock
from engine.errors import ExpressionError
from engine.messages import Message

try:
    from zoneinfo import ZoneInfo

    LOCAL_TZ: tzinfo = ZoneInfo("Asia/Ho_Chi_Minh")
except (ImportError, KeyError):  # no tz database: Vietnam has no DST, a fixed offset is exact
    LOCAL_TZ = timezone(timedelta(hours=7), "ICT")

_CONTAINERS = (list, tuple, dict, set, frozenset)
_SIZED_ITERABLES = (str, list, tuple, dict, set, frozenset, range)
_SCALARS = frozenset({int, float, bool, type(None)})
_STR_ONLY = {str}
_FLAT = _SCALARS | _STR_ONLY
_PRINTABLE = (str, int, float, type(None), date, timedelta)  # short text, or checked elsewhere


class Budget:
    """The limits of one evaluation: sizes, integer bits and the wall-clock deadline.

    ``max_items`` bounds the length of any one string or collection built; ``max_size``
    bounds its *deep* size (items plus characters, nested values included), which is what
    stops ``[[0] * 100] * 100`` style sharing tricks from producing values whose printing,
    comparison or JSON serialisation would explode.
    """

    __slots__ = ("_last", "deadline", "max_bits", "max_items", "max_size", "seconds")

    def __init__(self, *, max_items: int, max_size: int, max_bits: int, seconds: float) -> None:
        self.max_items = max_items
        self.max_size = max_size
        self.max_bits = max_bits
        self.seconds = seconds
        self.deadline = monotonic() + seconds
        self._last: tuple[Any, int] = (None, 0)  # last container measured, and its size

    def tick(self) -> None:
        """Raise once the evaluation has used up its time."""
        if monotonic() > self.deadline:
            raise ExpressionError(
                Message("Evaluation took longer than the %(n)s s allowed.", n=self.seconds)
            )

    def items(self, count: int, what: str = "The result") -> None:
        """Refuse a string or collection of ``count`` items before it is built."""
        if count > self.max_items:
            raise ExpressionError(
                f"{what} would hold {count} items; the limit is {self.max_items}."
            )

    def bits(self, bits: float) -> None:
        """Refuse an integer of about ``bits`` bits before it is computed."""
        if bits > self.max_bits:
            raise ExpressionError(
                f"The integer result would have about {int(bits)} bits; "
                f"the limit is {self.max_bits}."
            )

    def checked(self, value: Any) -> Any:
        """Return ``value`` if a freshly built value of its size is allowed."""
        kind = type(value)
        if kind is int:
            self.bits(value.bit_length())
        elif kind is str:
            self.items(len(value))
        elif kind in _CONTAINERS:
            self.items(len(value))
            self.measure(value)
        return value

    def measure(self, value: Any, *, text: bool = False) -> int:
        """Deep size of ``value`` (or its printed length if ``text``), stopping at the limit.

        Every container visited adds at least one, so the walk ends after at most ``limit``
        steps even for shared or self-referencing values.
        """
        kind = type(value)
        if kind in _SCALARS and not text:
            return 0
        if kind is str:
            return len(value) + 2 if text else len(value)
        if not text and self._last[0] is value:
            return self._last[1]
        limit = self.max_items if text else self.max_size
        total, steps, stack = 0, 0, [value]
        while stack:
            steps += 1
            if (steps & 1023) == 0:
                self.tick()
            item = stack.pop()
            if isinstance(item, str):
                total += len(item) + 2 if text else len(item)
            elif isinstance(item, _CONTAINERS):
                children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
                total += 2 + 2 * len(children) if text else 1 + len(children)
                if total > limit:
                    pass
                elif text:
                    stack.extend(children)
                else:  # scalars are counted by len() above: only look inside the rest
                    kinds = set(map(type, children))
                    if kinds == _STR_ONLY:
                        total += sum(map(len, children))
                    elif kinds <= _FLAT:
                        total += sum(len(c) for c in children if type(c) is str)
                    else:
                        stack.extend(c for c in children if type(c) not in _SCALARS)
            elif text:
                total += item.bit_length() // 3 + 2 if isinstance(item, int) else 32
            if total > limit:
                if text:
                    raise ExpressionError(
                        Message(
                            "The printed text would be larger than the limit of %(n)s.", n=limit
                        )
                    )
                raise ExpressionError(
                    Message("The value would be larger than the limit of %(n)s.", n=limit)
                )
        if not text:
            self._last = (value, total)
        return total

    def forget(self) -> None:
        """Drop the remembered size of the last container (it is about to change)."""
        self._last = (None, 0)

    def grow(self, size: int, value: Any) -> int:
        """Deep size of a collection of deep size ``size`` once ``value`` is added to it."""
        size += 1 if type(value) in _SCALARS else 1 + self.measure(value)
        if size > self.max_size:
            raise ExpressionError(
                Message("The value would be larger than the limit of %(n)s.", n=self.max_size)
            )
        return size

    def iterable(self, value: Any) -> Iterable[Any]:
        """``value`` as something safe to iterate: at most ``max_items`` items."""
        if isinstance(value, _SIZED_ITERABLES):
            self.items(len(value), "The iterated value")
            return value
        items = list(islice(iter(value), self.max_items + 1))
        self.items(len(items), "The iterated value")
        return items


# --- built-in functions: each takes the Budget first ------------------------------------------


def _len(budget: Budget, value: Any, /) -> int:
    return len(value)


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    missing = object()

    def extreme(budget: Budget, *args: Any, default: Any = missing) -> Any:
        values = budget.iterable(args[0]) if len(args) == 1 else args
        return pick(values) if default is missing else pick(values, default=default)

    return extreme


def _sum(budget: Budget, values: Any, /, start: Any = 0) -> Any:
    if not isinstance(start, int | float | timedelta):
        raise ExpressionError(Message("sum() can only start from a number or a timedelta."))
    return sum(budget.iterable(values), start)


def _round(budget: Budget, number: Any, ndigits: int | None = None) -> Any:
    if ndigits is None:
        return round(number)
    if not isinstance(ndigits, int) or abs(ndigits) > 100:
        raise ExpressionError(
            Message("round() takes a whole number of digits between -100 and 100.")
        )
    return round(number, ndigits)


def _int(budget: Budget, value: Any = 0, base: int | None = None) -> int:
    return int(value) if base is None else int(value, base)


def _str(budget: Budget, value: Any = "") -> str:
    if not isinstance(value, _PRINTABLE):
        budget.measure(value, text=True)
    return str(value)


def _sorted(budget: Budget, values: Any, /, *, reverse: bool = False) -> list[Any]:
    return sorted(budget.iterable(values), reverse=bool(reverse))


def _reversed(budget: Budget, values: Any, /) -> list[Any]:
    return list(budget.iterable(values))[::-1]


def _converter(kind: Callable[[Iterable[Any]], Any]) -> Callable[..., Any]:
    def convert(budget: Budget, values: Any = (), /) -> Any:
        return kind(budget.iterable(values))

    return convert


def _dict(budget: Budget, source: Any = (), /, **pairs: Any) -> dict[Any, Any]:
    result = dict(source) if isinstance(source, Mapping) else dict(budget.iterable(source))
    result.update(pairs)
    return result


def _range(budget: Budget, *args: int) -> list[int]:
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:
        count = budget.max_items + 1
    budget.items(count, "range()")
    return list(numbers)


def _enumerate(budget: Budget, values: Any, /, start: int = 0) -> list[tuple[int, Any]]:
    return list(enumerate(budget.iterable(values), start))


def _zip(budget: Budget, *values: Any, strict: bool = False) -> list[tuple[Any, ...]]:
    return list(zip(*(budget.iterable(v) for v in values), strict=bool(strict)))


# --- date helpers ----------------------------------------------------------------------------


def _parse_iso(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return clock.as_utc(datetime.fromisoformat(text))
    except ValueError as exc:
        raise ExpressionError(
            Message("%(text)s is not an ISO date or datetime.", text=repr(text[:40]))
        ) from exc


def _as_date(value: Any) -> date:
    """A date; datetimes (naive = UTC) become the calendar date in Vietnam, like today()."""
    if isinstance(value, str):
        value = _parse_iso(value)
    if isinstance(value, datetime):
        return clock.as_utc(value).astimezone(LOCAL_TZ).date()
    if isinstance(value, date):
        return value
    raise ExpressionError(
        Message("Expected a date, datetime or ISO string, got %(kind)s.", kind=type(value).__name__)
    )


def _as_datetime(value: Any) -> datetime:
    """An aware UTC datetime; naive values are UTC and dates mean midnight UTC."""
    if isinstance(value, str):
        value = _parse_iso(value)
    if isinstance(value, datetime):
        return clock.as_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ExpressionError(
        Message("Expected a date, datetime or ISO string, got %(kind)s.", kind=type(value).__name__)
    )


def _datetime(
    budget: Budget, year: int, month: int, day: int, hour: int = 0, minute: int = 0,
    second: int = 0,
) -> datetime:  # fmt: skip
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def _timedelta(
    budget: Budget, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0,
    weeks: float = 0,
) -> timedelta:  # fmt: skip
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds, weeks=weeks)


def _add_days(budget: Budget, value: Any, days: int, /) -> date:
    if not isinstance(days, int):
        raise ExpressionError(Message("add_days() needs a whole number of days."))
    if isinstance(value, str):
        value = _parse_iso(value)
    if not isinstance(value, date):
        raise ExpressionError(
            Message("add_days() needs a date, got %(kind)s.", kind=type(value).__name__)
        )
    return value + timedelta(days=days)


def _isoformat(budget: Budget, value: Any, /) -> str:
    if isinstance(value, str):
        value = _parse_iso(value)
    if not isinstance(value, date):
        raise ExpressionError(
            Message("isoformat() needs a date, got %(kind)s.", kind=type(value).__name__)
        )
    return value.isoformat()


BUILTINS: Mapping[str, Callable[..., Any]] = {
    "len": _len,
    "min": _extreme(min),
    "max": _extreme(max),
    "sum": _sum,
    "abs": lambda budget, value, /: abs(value),
    "round": _round,
    "int": _int,
    "float": lambda budget, value=0.0, /: float(value),
    "str": _str,
    "bool": lambda budget, value=False, /: bool(value),
    "sorted": _sorted,
    "reversed": _reversed,
    "any": lambda budget, values, /: any(budget.iterable(values)),
    "all": lambda budget, values, /: all(budget.iterable(values)),
    "list": _converter(list),
    "tuple": _converter(tuple),
    "set": _converter(set),
    "dict": _dict,
    "range": _range,
    "enumerate": _enumerate,
    "zip": _zip,
    "date": lambda budget, year, month, day: date(year, month, day),
    "datetime": _datetime,
    "timedelta": _timedelta,
    "now": lambda budget: clock.now(),
    "today": lambda budget: clock.now().astimezone(LOCAL_TZ).date(),
    "parse_date": lambda budget, value, /: _as_date(value),
    "parse_datetime": lambda budget, value, /: _as_datetime(value),
    "days_between": lambda budget, start, end, /: (_as_date(end) - _as_date(start)).days,
    "add_days": _add_days,
    "isoformat": _isoformat,
}

# Names that are never valid, even as task data keys: they are how sandbox escapes begin.
FORBIDDEN_NAMES = frozenset({
    "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "hasattr", "type",
    "vars", "globals", "locals", "dir", "breakpoint", "input", "memoryview", "object", "super",
    "format",
})  # fmt: skip


# --- methods and attributes of safe value types ----------------------------------------------

_STRFTIME = re.compile(r"(?:[^%]|%[aAbBdHIjmMpSUwWyYzZfGuV%])*")
# [[fill]align][sign][z][#][0][width][grouping][.precision][type], width/precision <= 3 digits
_NUMBER_SPEC = re.compile(
    r"(?:[^{}]?[<>=^])?[-+ ]?z?#?0?\d{0,3}[,_]?(?:\.\d{1,3})?[bcdeEfFgGnosxX%]?"
)


def spec_is_safe(spec: str) -> bool:
    """Whether an f-string format spec is one the interpreter will ever accept."""
    return bool(_NUMBER_SPEC.fullmatch(spec) or _STRFTIME.fullmatch(spec))


def format_value(budget: Budget, value: Any, conversion: int, spec: str) -> str:
    """One ``{value!conversion:spec}`` field of an f-string, with its size checked first."""
    if not isinstance(value, _PRINTABLE):
        budget.measure(value, text=True)
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("s"):
        value = str(value)
    pattern = _STRFTIME if isinstance(value, date) else _NUMBER_SPEC
    if not pattern.fullmatch(spec):
        raise ExpressionError(
            Message(
                "The format %(spec)s is not allowed for %(kind)s.",
                spec=repr(spec),
                kind=type(value).__name__,
            )
        )
    return format(value, spec)


def _method(function: Callable[..., Any]) -> Callable[..., Any]:
    def method(budget: Budget, value: Any, /, *args: Any, **kwargs: Any) -> Any:
        return function(value, *args, **kwargs)

    return method


def _join(budget: Budget, separator: str, values: Any, /) -> str:
    parts = list(budget.iterable(values))
    size = len(separator) * max(len(parts) - 1, 0)
    budget.items(size + sum(len(p) for p in parts if isinstance(p, str)), "The joined text")
    return separator.join(parts)


def _replace(budget: Budget, text: str, old: str, new: str, count: int = -1, /) -> str:
    if isinstance(old, str) and isinstance(new, str) and isinstance(count, int):
        hits = text.count(old) if old else len(text) + 1
        hits = hits if count < 0 else min(hits, count)
        budget.items(len(text) + hits * (len(new) - len(old)), "The replaced text")
    return text.replace(old, new, count)


def _strftime(budget: Budget, value: date, pattern: str, /) -> str:
    if not isinstance(pattern, str) or not _STRFTIME.fullmatch(pattern):
        raise ExpressionError(
            Message("The strftime format %(spec)s is not allowed.", spec=repr(pattern))
        )
    return value.strftime(pattern)


_STR_METHOD_NAMES = (
    "lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "title",
    "capitalize", "isdigit", "count", "find",
)  # fmt: skip
_STR_METHODS = {name: _method(getattr(str, name)) for name in _STR_METHOD_NAMES}
_STR_METHODS.update(join=_join, replace=_replace)
_DATE_METHODS = {
    "isoformat": _method(date.isoformat),
    "weekday": _method(date.weekday),
    "isoweekday": _method(date.isoweekday),
    "strftime": _strftime,
}
_SEQUENCE_METHODS = {
    "count": _method(lambda s, v: s.count(v)),
    "index": _method(lambda s, *a: s.index(*a)),
}

# Checked in order, so datetime (a date subclass) comes before date.
_METHODS: tuple[tuple[type, Mapping[str, Callable[..., Any]]], ...] = (
    (str, _STR_METHODS),
    (dict, {
        "get": _method(dict.get),
        "keys": _method(lambda d: list(d.keys())),
        "values": _method(lambda d: list(d.values())),
        "items": _method(lambda d: list(d.items())),
    }),
    (list, _SEQUENCE_METHODS),
    (tuple, _SEQUENCE_METHODS),
    (datetime, {
        **_DATE_METHODS,
        "isoformat": _method(datetime.isoformat),
        "date": _method(datetime.date),
    }),
    (date, _DATE_METHODS),
    (timedelta, {"total_seconds": _method(timedelta.total_seconds)}),
)  # fmt: skip
_DATE_ATTRIBUTES = frozenset({"year", "month", "day"})
_ATTRIBUTES: tuple[tuple[type, frozenset[str]], ...] = (
    (datetime, _DATE_ATTRIBUTES | {"hour", "minute", "second"}),
    (date, _DATE_ATTRIBUTES),
    (timedelta, frozenset({"days", "seconds"})),
)
METHOD_NAMES = frozenset(name for _, table in _METHODS for name in table)
ATTRIBUTE_NAMES = frozenset(name for _, names in _ATTRIBUTES for name in names)
_NO_METHODS: Mapping[str, Callable[..., Any]] = {}
_METHODS_BY_TYPE = dict(_METHODS)


def methods_for(value: Any) -> Mapping[str, Callable[..., Any]]:
    """The methods callable on ``value`` (by its type, subclasses included); may be empty."""
    table = _METHODS_BY_TYPE.get(type(value))
    if table is not None:
        return table
    for kind, table in _METHODS:
        if isinstance(value, kind):
            return table
    return _NO_METHODS


def attributes_for(value: Any) -> frozenset[str]:
    """The attributes readable on ``value``; empty for every type but dates and timedeltas."""
    for kind, names in _ATTRIBUTES:
        if isinstance(value, kind):
            return names
    return frozenset()
