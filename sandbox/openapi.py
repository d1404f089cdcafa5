"""The sandbox's OpenAPI document, served at ``openapi.json`` beside the API: generated from the
contract's models (``groupsales.contract.operations``), the same ones the sandbox validates requests with."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from groupsales.contract.operations import openapi_document


def document(request: HttpRequest) -> JsonResponse:
    """Public, like the carrier's developer portal: the contract, not data."""
    base = request.build_absolute_uri(request.path.rsplit("/", 1)[0])
    return JsonResponse(openapi_document(base))
