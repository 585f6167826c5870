"""``python -m hakseup``."""

from .cli.main import run

run()
