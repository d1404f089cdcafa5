from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Members and elections"

    def ready(self) -> None:
        from enrollment.roster import roster_register

        from .enrollment_adapter import MemberRoster

        roster_register(MemberRoster())

        from carrier.resume import operation_resumer_register

        from .services.validation import member_operation_resume

        for kind in ("validate_member", "validate_members"):
            operation_resumer_register(kind=kind, resumer=member_operation_resume)
