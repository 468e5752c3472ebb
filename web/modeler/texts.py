"""The modeler's words that its browser script shows, translated for the request.

The script cannot call gettext, so the page hands it this table (English msgid -> text in
the user's language) as JSON; every entry is a literal ``_()`` so the extractor finds it.
"""

from __future__ import annotations

from flask_babel import gettext as _


def texts() -> dict[str, str]:
    return {
        "Lexflow (what the engine runs)": _("Lexflow (what the engine runs)"),
        "Role": _("Role"),
        "(choose a role)": _("(choose a role)"),
        "unknown role": _("unknown role"),
        "Organisation (expression)": _("Organisation (expression)"),
        "Name (English)": _("Name (English)"),
        "Title in the inbox (Vietnamese, expression)": _(
            "Title in the inbox (Vietnamese, expression)"
        ),
        "Title in the inbox (English, expression)": _("Title in the inbox (English, expression)"),
        "Instructions (English)": _("Instructions (English)"),
        "Form": _("Form"),
        "(no form)": _("(no form)"),
        "not deployed": _("not deployed"),
        "Deadline rule": _("Deadline rule"),
        "Required dossier documents": _("Required dossier documents"),
        "(no deadline)": _("(no deadline)"),
        "an expression (see XML)": _("an expression (see XML)"),
        "not in the rule table": _("not in the rule table"),
        "Condition": _("Condition"),
        "Script": _("Script"),
        "Timer": _("Timer"),
        "At a date and time": _("At a date and time"),
        "After a duration": _("After a duration"),
        "Repeatedly (cycle)": _("Repeatedly (cycle)"),
        "Timer expression (ISO 8601 text or deadline(...))": _(
            "Timer expression (ISO 8601 text or deadline(...))"
        ),
        "Operation": _("Operation"),
        "(choose an operation)": _("(choose an operation)"),
        "not registered": _("not registered"),
        "Parameters (one per line: name = expression)": _(
            "Parameters (one per line: name = expression)"
        ),
        "Result variable": _("Result variable"),
        "The syntax is valid.": _("The syntax is valid."),
        "errors": _("errors"),
        "warnings": _("warnings"),
        "checking on the server…": _("checking on the server…"),
        "The server could not check the model.": _("The server could not check the model."),
        "No problems found.": _("No problems found."),
        "Error": _("Error"),
        "Warning": _("Warning"),
        "the whole model": _("the whole model"),
        "The diagram was opened with warnings:": _("The diagram was opened with warnings:"),
        "The diagram could not be opened:": _("The diagram could not be opened:"),
        "The draft could not be saved.": _("The draft could not be saved."),
        "Draft saved": _("Draft saved"),
        "The model cannot be deployed yet": _("The model cannot be deployed yet"),
        "Lexflow's rules find no error.": _("Lexflow's rules find no error."),
        "Write a note saying what changed and why.": _("Write a note saying what changed and why."),
        "Deployed": _("Deployed"),
        "Unchanged (already deployed)": _("Unchanged (already deployed)"),
        "The deployment was refused; nothing was stored.": _(
            "The deployment was refused; nothing was stored."
        ),
        # The form field editor (form_editor.js)
        "Edit the form's fields": _("Edit the form's fields"),
        "Form fields": _("Form fields"),
        "Form file": _("Form file"),
        "Form title (Vietnamese)": _("Form title (Vietnamese)"),
        "Form title (English)": _("Form title (English)"),
        "Field key": _("Field key"),
        "Label (Vietnamese)": _("Label (Vietnamese)"),
        "Label (English)": _("Label (English)"),
        "Field type": _("Field type"),
        "Required": _("Required"),
        "Remove": _("Remove"),
        "Choices (one per line: value | label vi | label en)": _(
            "Choices (one per line: value | label vi | label en)"
        ),
        "Choices (expression giving the allowed codes)": _(
            "Choices (expression giving the allowed codes)"
        ),
        "Cross-field rules": _("Cross-field rules"),
        "Rule (expression that must hold)": _("Rule (expression that must hold)"),
        "Fields it concerns (comma-separated keys)": _("Fields it concerns (comma-separated keys)"),
        "Message (Vietnamese)": _("Message (Vietnamese)"),
        "Message (English)": _("Message (English)"),
        "Add a field": _("Add a field"),
        "Add a rule": _("Add a rule"),
        "Save the form in the draft": _("Save the form in the draft"),
        "Close": _("Close"),
        "The form could not be saved.": _("The form could not be saved."),
        "The form was saved in the draft": _("The form was saved in the draft"),
        "type:string": _("Text (one line)"),
        "type:text": _("Long text"),
        "type:number": _("Number"),
        "type:integer": _("Whole number"),
        "type:boolean": _("Yes / no"),
        "type:date": _("Date"),
        "type:enum": _("One of the choices"),
        "type:list": _("Several of the choices"),
        "type:organisation": _("Organisation picker"),
        "type:user": _("User picker"),
        "type:role": _("Role picker"),
    }
