"""Print a quote as JSON.

``python manage.py quote --zip 40202 --county 21111 --effective 2027-01-01 --census census.csv
[--composite] --format json``
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.census import parse_census
from catalogue.quoting import QuoteError, quote_as_json, quote_census


class Command(BaseCommand):
    help = "Quote a census: every plan sold at the ZIP and county on the effective date, as JSON."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--zip", required=True, dest="zip5")
        parser.add_argument("--county", required=True)
        parser.add_argument("--effective", required=True, type=date.fromisoformat)
        parser.add_argument("--census", required=True)
        parser.add_argument("--composite", action="store_true")
        parser.add_argument("--format", choices=["json"], default="json")

    def handle(self, *args, zip5: str, county: str, effective: date, census: str, composite: bool, **options):
        path = Path(census)
        rows, problems = parse_census(path.read_bytes(), filename=path.name)
        if problems:
            raise CommandError("\n".join(str(p) for p in problems))
        try:
            result = quote_census(
                zip5=zip5, county_fips=county, effective_date=effective, census=rows, composite=composite
            )
        except QuoteError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(quote_as_json(result), indent=2))
