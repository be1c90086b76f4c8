from django.apps import AppConfig


class PredictorConfig(AppConfig):
    name = "predictor"
    verbose_name = "Predictor"

    def ready(self) -> None:
        from core.health import register_readiness_check
        from core.metrics import register_scrape_time_collector
        from predictor.metrics import ActiveModelCollector
        from predictor.services import loaded_model_version

        # Readiness verifies the artifact hashes and loads the models the first time; cached in the process after.
        register_readiness_check("model", loaded_model_version)
        register_scrape_time_collector(ActiveModelCollector)
