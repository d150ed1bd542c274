"""Alerts: collect what went wrong, deliver it once per recipient as a digest."""

from loaders.ops.alerts.collect import collect
from loaders.ops.alerts.deliver import deliver, send_test

__all__ = ["collect", "deliver", "send_test"]
