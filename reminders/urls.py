from django.urls import path

from reminders import views

app_name = "reminders"
urlpatterns = [
    path("reminders/", views.settings, name="settings"),
    path("reminders/off/", views.turn_off, name="off"),
    path("reminders/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
