"""Dramatiq actors. The broker module is imported first, then every actor module."""

from tasks import broker as broker  # noqa: I001  (first: the actors below need it)
from tasks import agent as agent
from tasks import analytics as analytics
from tasks import commerce as commerce
from tasks import knowledge as knowledge
from tasks import maintenance as maintenance
from tasks import messaging as messaging
