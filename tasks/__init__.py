"""Dramatiq actors. The broker module is imported first, then every actor module."""

from tasks import broker as broker  # noqa: I001  (must come first: actors bind to it)
from tasks import maintenance as maintenance
