"""Changes after enrollment (contract 1.1): a change request per member and event, validated with the
carrier, sent in change files, applied or rejected; the carrier's roster reconciled with the portal's
members. (``enrollment.changes`` is another thing: edits of a group's application before finalize.)"""
