"""Dramatiq actors. The broker module is imported first, then every actor module."""

from tasks import broker as broker
from tasks import commerce as commerce
from tasks import knowledge as knowledge
from tasks import maintenance as maintenance
from tasks import messaging as messaging
