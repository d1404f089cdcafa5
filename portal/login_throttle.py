"""Failed-login throttling that nobody can turn against another person's account (django-axes).

Two counts, each with its own limit, over the cool-off window (``AXES_COOLOFF_TIME``):

* per **username and client address** (``AXES_FAILURE_LIMIT``, 5): a guesser holds up only themselves;
  the account's owner, from their own address, still logs in. No count is kept per username alone, so
  no number of guesses from anywhere locks a named account.
* per **client address** (``AXES_ADDRESS_FAILURE_LIMIT``, 20): one address spraying passwords over many
  usernames is held for all of them.

The client address is the real client's behind the trusted proxy (``portal.proxy.client_address``).
axes compares one count to one limit, so each count is scaled to ``AXES_FAILURE_LIMIT`` before the
larger is taken; a successful login clears its own username and address only, never the address's count.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum

# The order of settings.AXES_LOCKOUT_PARAMETERS: [["username", "ip_address"], "ip_address"].
PER_ACCOUNT, PER_ADDRESS = 0, 1


def _limits() -> tuple[int, int]:
    return int(settings.AXES_FAILURE_LIMIT), int(settings.AXES_ADDRESS_FAILURE_LIMIT)


class LoginThrottleHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        counts = [
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        account_limit, address_limit = _limits()
        per_account = counts[PER_ACCOUNT] if counts else 0
        per_address = counts[PER_ADDRESS] if len(counts) > PER_ADDRESS else 0
        # Reaching either limit reaches account_limit, the one axes compares with.
        return max(per_account, per_address * account_limit // max(address_limit, 1))

    def reset_user_attempts(self, request, credentials=None) -> int:
        attempts = self.filter_user_attempts(request, credentials)[PER_ACCOUNT]
        count, _ = attempts.delete()
        return count
