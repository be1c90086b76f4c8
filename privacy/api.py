from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import AuthThrottleMixin, CountryCodeField
from accounts.selectors import user_profile
from accounts.services import country_or_blank, user_set_country, user_set_language
from billing.api import BalanceSerializer
from billing.selectors import wallet_balance
from core.api import StrictCharField
from core.openapi import ValidationErrorSerializer
from core.throttling import ResilientScopedRateThrottle
from privacy.services import export_filename, user_delete, user_export


class MeApi(APIView):
    class ProfileOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        display_name = serializers.CharField()
        date_joined = serializers.DateTimeField()
        country = serializers.CharField(
            help_text='ISO 3166-1 alpha-2 code of the country whose help resources are shown ("" when not given).'
        )
        language = serializers.CharField(
            help_text='The site\'s language for the caller, a code from the site\'s languages ("en", "es", "ru"); '
            '"" when not chosen (the request\'s Accept-Language decides).'
        )
        balance = BalanceSerializer()

    class ProfileUpdateInputSerializer(serializers.Serializer):
        language = serializers.ChoiceField(
            choices=settings.LANGUAGES,
            required=False,
            help_text='The site\'s language for the caller: "en", "es" or "ru". Left out, it stays as it is.',
        )
        country = CountryCodeField(
            required=False,
            help_text='The caller\'s country, an ISO 3166-1 alpha-2 code such as "ES"; "" forgets it; left out, '
            "it stays as it is.",
        )

        def validate_country(self, value: str) -> str:
            if value and not country_or_blank(value):
                raise serializers.ValidationError(_("Send a two-letter country code, such as US, MX, ES or RU."))
            return country_or_blank(value)

    def _profile(self, user) -> Response:
        payload = {**user_profile(user=user), "balance": wallet_balance(user=user)}
        return Response(self.ProfileOutputSerializer(payload).data)

    @extend_schema(responses=ProfileOutputSerializer, summary="The caller's profile and credits")
    def get(self, request: Request) -> Response:
        return self._profile(request.user)

    @extend_schema(
        request=ProfileUpdateInputSerializer,
        responses=ProfileOutputSerializer,
        summary="Change the caller's country (whose help resources and emergency number are shown) or language",
    )
    def patch(self, request: Request) -> Response:
        data = self.ProfileUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "country" in data.validated_data:
            user_set_country(user=request.user, country=data.validated_data["country"])
        if "language" in data.validated_data:
            user_set_language(user=request.user, language=data.validated_data["language"])
        return self._profile(request.user)

    def get_throttles(self):
        # Deletion checks a password: rate-limit it like login, so a stolen access token is no guessing oracle.
        if self.request.method == "DELETE":
            self.throttle_scope = AuthThrottleMixin.throttle_scope
            return [ResilientScopedRateThrottle()]
        return super().get_throttles()

    class DeleteInputSerializer(serializers.Serializer):
        password = StrictCharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema(
        request=DeleteInputSerializer,
        responses={
            204: None,
            400: OpenApiResponse(ValidationErrorSerializer, "The password is missing or wrong (extra.fields.password)"),
        },
        summary="Delete the caller's account, answers, results and credits for good",
        description="The password is required again. Afterwards the caller's tokens are refused and login fails; "
        "only anonymous credit totals remain (docs/privacy.md).",
    )
    def delete(self, request: Request) -> Response:
        data = self.DeleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_delete(user=request.user, password=data.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeExportApi(APIView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="Download everything the site holds about the caller",
        description="A JSON file with the profile, every screening (answers and results) and the credit ledger.",
    )
    def get(self, request: Request) -> Response:
        response = Response(user_export(user=request.user))
        response["Content-Disposition"] = f'attachment; filename="{export_filename()}"'
        response["Cache-Control"] = "no-store"
        return response
