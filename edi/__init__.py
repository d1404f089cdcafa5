"""Enrollment files: the 834 for a group, its upload, its status, its corrections (issue 7).

Decisions where the carrier's documents leave room:

- ISA13 and GS06 are the same number, from one database counter (``ControlNumberSequence``); BGN02 is
  ``G<group id>-<ISA13>``, unique per partner because ISA13 is. A number is used up as soon as it is
  allocated (before the file is written), whether or not the file is ever uploaded.
- ``export_834`` never touches the counter: it writes placeholder control number 1 (``--control-number``).
- The broker's ISA/GS date and time are the portal's local time (America/New_York), as the carrier's
  business day is.
- A follow-up file (BGN01 ``00``) carries the members the carrier rejected in the last file that was
  ACCEPTED_WITH_ERRORS and that have a current valid validation, plus the subscriber of a corrected
  dependent. A resubmission (BGN01 ``15``, BGN06 = the rejected file's BGN02) carries the whole group.
- A 409 FIL-002 at upload adopts the earlier file's fileId (the upload is treated as done).
- The 999 is stored with IK404 (a copy of a bad value, possibly personal data) masked.
"""
