"""The 834 work's services, by sub-domain:

* ``files``: the 834 of a group built (pure) and prechecked, problems in plain words;
* ``control_numbers``: ISA13/GS06, never handed out twice;
* ``transmissions``: a file's lifecycle: start, upload, poll, results, the group following it, sweep;
* ``notify``: the e-mails about it.

The names the pages, tasks, admin and commands call are imported here (``edi.services.transmission_start``).
"""

from .. import follow_up
from ..states import TransitionNotAllowed, transmission_transition
from .control_numbers import control_number_allocate
from .files import (
    BuildError,
    BuiltFile,
    GroupFacts,
    Problem,
    group_facts,
    plain,
    precheck_problems,
    transmission_render,
)
from .transmissions import (
    TransmissionRefused,
    edi_setting,
    last_final_transmission,
    queue_poll,
    queue_upload,
    transmission_fetch_acknowledgment,
    transmission_mark_upload_failed,
    transmission_poll,
    transmission_poll_again,
    transmission_resubmit,
    transmission_start,
    transmission_upload,
    transmissions_sweep,
)

__all__ = [
    "BuildError",
    "BuiltFile",
    "GroupFacts",
    "Problem",
    "TransitionNotAllowed",
    "TransmissionRefused",
    "control_number_allocate",
    "edi_setting",
    "follow_up",
    "group_facts",
    "last_final_transmission",
    "plain",
    "precheck_problems",
    "queue_poll",
    "queue_upload",
    "transmission_fetch_acknowledgment",
    "transmission_mark_upload_failed",
    "transmission_poll",
    "transmission_poll_again",
    "transmission_render",
    "transmission_resubmit",
    "transmission_start",
    "transmission_transition",
    "transmission_upload",
    "transmissions_sweep",
]
