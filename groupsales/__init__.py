"""The carrier's published Group Sales contract as plain Python.

Nothing here imports Django or any app of the portal, so both the portal and the
carrier sandbox can use it: code lists, the business rules, the ETSS rate-file
reader, the rating arithmetic and the X12 834 helpers all follow the documents in
``shared/humana/``.
"""
