from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Members and elections"

    def ready(self) -> None:
        from enrollment.roster import roster_register

        from .enrollment_adapter import MemberRoster

        roster_register(MemberRoster())
