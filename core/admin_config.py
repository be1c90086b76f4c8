"""The admin app with the site's own admin site as its default (Django's documented way to override it)."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "core.admin_site.StaffAdminSite"
