"""Sentences the engine and the domain say to people, kept translatable.

The engine has no Flask and no locale, yet its refusals ("the task is already claimed by
…") end up on Vietnamese pages. A :class:`Message` is the English sentence as a plain ``str``
(logs, the CLI and tests read it as before) that also remembers its ``%(name)s`` template
and values, so the web layer can look the template up in its catalogue and fill it in
again. ``pybabel extract -k Message`` collects the templates from ``engine/`` and
``workflows/`` (see web/translations/README.md).
"""

from __future__ import annotations

from typing import Any


class Message(str):
    """An English sentence built from a translatable template and its values.

    Values may be messages themselves (a reason inside a refusal); a translator then
    translates both. Write one whole sentence per template, never pieces joined together.
    """

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Message:
        text = template % params if params else template
        message = super().__new__(cls, text)
        message.template = template
        message.params = params
        return message

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.template, self.params))


def _rebuild(template: str, params: dict[str, Any]) -> Message:
    return Message(template, **params)
