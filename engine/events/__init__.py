"""Messages and signals from outside: what an instance waits for, and delivering to it.

A running instance's catch events (intermediate message/signal events, receive tasks,
boundary events, the branches of an event-based gateway, message/signal start events of
an event sub-process) are listed on its row after every step (``waiting_for``), so a
delivery finds its receivers with one indexed query and never opens an instance that does
not wait. :mod:`.delivery` correlates a message (by name and correlation key: the business
key) or broadcasts a signal, one transaction per receiving instance, audited; a message or
signal start event of a deployed process starts a new instance when no instance waits.
"""

from .delivery import Delivery, EventService
from .waiting import waiting_for

__all__ = ["Delivery", "EventService", "waiting_for"]
