"""What the directory tells the layers above it (it imports none of them)."""

from __future__ import annotations

from django.dispatch import Signal

# ``user`` no longer holds any role in ``agency`` (``services.membership_remove``); sent inside
# the service's transaction, so a receiver's writes commit or roll back with it.
agency_left = Signal()
