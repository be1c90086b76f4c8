from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("settings/", views.settings, name="settings"),
    path("settings/export/", views.export, name="export"),
    path("settings/delete/", views.delete, name="delete"),
]
