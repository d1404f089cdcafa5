"""The carrier sandbox's routes (api.md). Mounted only when SANDBOX_ENABLED."""

urlpatterns: list = []
