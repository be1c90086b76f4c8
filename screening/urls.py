from django.urls import path

from screening import views

app_name = "screening"
urlpatterns = [
    path("check/", views.new, name="new"),
    path("history/", views.history, name="history"),
    path("summary/", views.summary, name="summary"),
    path("checks/<uuid:screening_id>/", views.detail, name="detail"),
    path("checks/<uuid:screening_id>/status/", views.status, name="status"),
]
