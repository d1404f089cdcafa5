from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401 - registers the production checks
        from .middleware import SessionLifetimeMiddleware

        user_logged_in.connect(SessionLifetimeMiddleware.on_login, dispatch_uid="portal-session-lifetime")
