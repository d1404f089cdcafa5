from django.contrib import admin

from .models import Agency, Broker


class BrokerInline(admin.TabularInline):
    model = Broker
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "npn", "phone"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "broker_count", "created_at"]
    search_fields = ["name"]
    inlines = [BrokerInline]

    @admin.display(description="Brokers")
    def broker_count(self, obj: Agency) -> int:
        return obj.brokers.count()


@admin.register(Broker)
class BrokerAdmin(admin.ModelAdmin):
    list_display = ["full_name", "agency", "role", "npn"]
    list_filter = ["role", "agency"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "npn", "agency__name"]
    autocomplete_fields = ["user", "agency"]
    list_select_related = ["user", "agency"]
