"""api.md's request and response bodies, written once, as pydantic v2 models shared by both ends.

* ``models``: every body (and the query parameters) of api.md. The portal's client validates what it
  sends and parses what it gets with them (``carrier.schemas``).
* ``wire``: how the carrier reads a request: strictly, as JSON, by its camelCase names, every problem
  reported as ``SCHEMA`` with a JSON Pointer and the carrier's words (the sandbox answers with them).
* ``operations``: api.md's operations (route, request, answer) and the OpenAPI document the sandbox
  serves, generated from the models' JSON Schema.

Plain Python (pydantic and ``groupsales.codes``): no Django, no app of the portal.
"""
