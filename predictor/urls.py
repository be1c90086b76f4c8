app_name = "predictor"
urlpatterns: list = []
