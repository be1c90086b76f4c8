from django.contrib.auth import password_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.selectors import user_email_taken
from accounts.services import EMAIL_TAKEN, export_filename, user_delete, user_export, user_register
from billing.api import BalanceSerializer
from billing.selectors import wallet_balance


class AuthThrottleMixin:
    """Login, token and registration endpoints share one rate limit per client address."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class RegisterApi(AuthThrottleMixin, APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class RegisterInputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(write_only=True, style={"input_type": "password"})
        display_name = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")

        def validate_email(self, value: str) -> str:
            value = value.strip().lower()
            if user_email_taken(email=value):
                raise serializers.ValidationError(EMAIL_TAKEN)
            return value

        def validate_password(self, value: str) -> str:
            password_validation.validate_password(value)
            return value

    class RegisterOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        display_name = serializers.CharField()

    @extend_schema(
        request=RegisterInputSerializer, responses={201: RegisterOutputSerializer}, summary="Create an account"
    )
    def post(self, request: Request) -> Response:
        data = self.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_register(**data.validated_data)
        return Response(self.RegisterOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenApi(AuthThrottleMixin, TokenObtainPairView):
    """Exchange email and password for an access token and a refresh token."""


class TokenRefreshApi(AuthThrottleMixin, TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token is blacklisted (rotation)."""


class LogoutApi(APIView):
    """Blacklist a refresh token. Holding the token is the authority, so no access token is needed."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    class LogoutInputSerializer(serializers.Serializer):
        refresh = serializers.CharField()

    def get_authenticate_header(self, request: Request) -> str:
        # An unusable refresh token is an authentication failure: answer 401, as the refresh endpoint does.
        return 'Bearer realm="api"'

    @extend_schema(request=LogoutInputSerializer, responses={205: None}, summary="Log out (revoke a refresh token)")
    def post(self, request: Request) -> Response:
        data = self.LogoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            RefreshToken(data.validated_data["refresh"]).blacklist()
        except TokenError as error:
            raise InvalidToken(str(error)) from error
        return Response(status=status.HTTP_205_RESET_CONTENT)


class MeApi(APIView):
    class ProfileOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        display_name = serializers.CharField()
        date_joined = serializers.DateTimeField()
        balance = BalanceSerializer()

    @extend_schema(responses=ProfileOutputSerializer, summary="The caller's profile and credits")
    def get(self, request: Request) -> Response:
        user = request.user
        payload = {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "date_joined": user.date_joined,
            "balance": wallet_balance(user=user),
        }
        return Response(self.ProfileOutputSerializer(payload).data)

    def get_throttles(self):
        # Deletion checks a password: rate-limit it like login, so a stolen access token is no guessing oracle.
        if self.request.method == "DELETE":
            self.throttle_scope = AuthThrottleMixin.throttle_scope
            return [ScopedRateThrottle()]
        return super().get_throttles()

    class DeleteInputSerializer(serializers.Serializer):
        password = serializers.CharField(write_only=True, style={"input_type": "password"})

    @extend_schema(
        request=DeleteInputSerializer,
        responses={204: None},
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
