"""Public consultation of a draft: its text by article, the public's comments, one ledger.

This sub-package owns what the consultation stage (``bpmn/stage_consultation.bpmn``) needs
beyond the engine: the draft text read by article from the DOCX in the dossier (``text``),
the comment window that follows the BPMN step (``window``), the public's comments with their
moderation (``comments``), and the ledger of every opinion on a draft version with the
drafter's answers, which the synthesis step cannot complete without (``ledger``).
The public pages that show all this live in :mod:`web.public`.
"""
