from django.urls import path

from predictor import views

app_name = "predictor"

urlpatterns = [
    path("models/", views.model_card, name="model-card"),
    path("models/plots/<str:name>.png", views.model_card_plot, name="model-card-plot"),
    path("models/MODEL_CARD.md", views.model_card_full, name="model-card-full"),
]
