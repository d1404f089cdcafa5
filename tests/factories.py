"""factory-boy factories shared by the test suite."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from agencies.models import Agency, Broker
from enrollment.models import EmployerGroup

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@agency.example")
    password = factory.django.Password(PASSWORD)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")


class BrokerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Broker

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = Broker.Role.BROKER
    npn = factory.Sequence(lambda n: f"{17000000 + n}")


class EmployerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmployerGroup

    broker = factory.SubFactory(BrokerFactory)
    agency = factory.LazyAttribute(lambda g: g.broker.agency)
    legal_name = factory.Sequence(lambda n: f"Employer {n} LLC")
