from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.models import User
from accounts.services import country_or_blank, password_validate, user_sign_up
from core.api import StrictBooleanField, StrictCharField, StrictEmailField
from core.openapi import ErrorSerializer, ValidationErrorSerializer
from core.throttling import ResilientScopedRateThrottle


class AuthThrottleMixin:
    """Login, token and registration endpoints share one rate limit per client address."""

    throttle_classes = [ResilientScopedRateThrottle]
    throttle_scope = "auth"


@extend_schema_field({"type": "string", "pattern": "^([A-Za-z]{2})?$", "maxLength": 2})
class CountryCodeField(StrictCharField):
    """An ISO 3166-1 alpha-2 code in either case ("es", "ES"), or "" for none; sent as it is, never trimmed."""

    default_error_messages = {"country": gettext_lazy("Send a two-letter country code, such as US, MX, ES or RU.")}

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=2, allow_blank=True, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data) -> str:
        value = super().to_internal_value(data)
        if value and not (len(value) == 2 and value.isascii() and value.isalpha()):
            self.fail("country")
        return value


@extend_schema_field({"type": "boolean", "enum": [True]})
class ConsentField(StrictBooleanField):
    """A box the person must tick: only true is accepted (false is refused with a message saying why)."""


# One answer for an address with or without an account (OWASP Authentication Cheat Sheet).
REGISTER_ACCEPTED = gettext_lazy(
    "If this address can be used, the account is ready: sign in with it. We have sent an email to the address "
    "either way."
)


class RegisterApi(AuthThrottleMixin, APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class RegisterInputSerializer(serializers.Serializer):
        email = StrictEmailField(max_length=254)
        password = StrictCharField(
            write_only=True,
            trim_whitespace=False,
            style={"input_type": "password"},
            help_text="At least 8 characters, not all digits, not a common password and not like the email or name.",
        )
        display_name = StrictCharField(max_length=80, required=False, allow_blank=True, default="")
        country = CountryCodeField(
            required=False,
            default="",
            help_text='Optional ISO 3166-1 alpha-2 code ("ES"): whose help resources and emergency number are shown.',
        )
        confirm_adult = ConsentField(
            help_text="Must be true: the person confirms they are 18 or older (the site is for adults)."
        )
        accept_privacy = ConsentField(
            help_text="Must be true: the person has read the privacy notice (/privacy/) and agrees to it."
        )

        def validate_confirm_adult(self, value: bool) -> bool:
            if not value:
                raise serializers.ValidationError(_("The site is for people 18 or older; confirm with true."))
            return value

        def validate_accept_privacy(self, value: bool) -> bool:
            if not value:
                raise serializers.ValidationError(_("Agree to the privacy notice (/privacy/) with true."))
            return value

        def validate_country(self, value: str) -> str:
            if value and not country_or_blank(value):
                raise serializers.ValidationError(_("Send a two-letter country code, such as US, MX, ES or RU."))
            return country_or_blank(value)

        def validate_email(self, value: str) -> str:
            # Never whether it has an account: that is answered the same way (accounts.services.user_sign_up).
            return User.objects.normalize_email(value)

        def validate_password(self, value: str) -> str:
            # The similarity check needs the person: the email and display name as sent (a field error here
            # still shows beside an invalid email's).
            raw = self.initial_data
            try:
                password_validate(
                    password=value, email=str(raw.get("email", "")), display_name=str(raw.get("display_name", ""))
                )
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages) from error
            return value

    class RegisterAcceptedSerializer(serializers.Serializer):
        message = serializers.CharField(
            help_text="The same for an address with or without an account: sign in with it; an e-mail was sent."
        )

    @extend_schema(
        request=RegisterInputSerializer,
        responses={
            202: OpenApiResponse(
                RegisterAcceptedSerializer,
                "The same answer whether or not the address already has an account: a new address now has its "
                "account (sign in at auth/token/) and a welcome e-mail; for an address with an account nothing "
                "changes and its owner gets an e-mail saying someone tried",
            ),
            400: OpenApiResponse(
                ValidationErrorSerializer,
                "A value refused (named under extra.fields): an email that is not one, a password the password "
                "rules refuse, a consent not given",
            ),
        },
        summary="Create an account",
    )
    def post(self, request: Request) -> Response:
        data = self.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        user_sign_up(
            email=fields["email"],
            password=fields["password"],
            display_name=fields["display_name"],
            language=get_language(),
            country=fields["country"],
            domain=request.get_host(),
            use_https=request.is_secure(),
        )
        body = {"message": REGISTER_ACCEPTED}
        return Response(self.RegisterAcceptedSerializer(body).data, status=status.HTTP_202_ACCEPTED)


BAD_CREDENTIALS = OpenApiResponse(ErrorSerializer, "The email and password do not match an account")
BAD_REFRESH_TOKEN = OpenApiResponse(ErrorSerializer, "The refresh token is not valid, expired or revoked")


class TokenInputSerializer(TokenObtainPairSerializer):
    """simplejwt's, with the fields the schema describes: JSON strings, kept as sent (a password is not trimmed)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields[self.username_field] = StrictCharField(write_only=True)
        self.fields["password"] = StrictCharField(
            write_only=True, trim_whitespace=False, style={"input_type": "password"}
        )


class RefreshInputSerializer(TokenRefreshSerializer):
    refresh = StrictCharField(trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Send as `Authorization: Bearer <access>`; short-lived.")
    refresh = serializers.CharField(help_text="Exchange at auth/token/refresh/ for a new pair; used once.")


class TokenApi(AuthThrottleMixin, TokenObtainPairView):
    """Exchange email and password for an access token and a refresh token."""

    serializer_class = TokenInputSerializer

    @extend_schema(responses={200: TokenPairSerializer, 401: BAD_CREDENTIALS})
    def post(self, request: Request, *args, **kwargs) -> Response:
        return super().post(request, *args, **kwargs)


class TokenRefreshApi(AuthThrottleMixin, TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token is blacklisted (rotation)."""

    serializer_class = RefreshInputSerializer

    @extend_schema(responses={200: TokenPairSerializer, 401: BAD_REFRESH_TOKEN})
    def post(self, request: Request, *args, **kwargs) -> Response:
        return super().post(request, *args, **kwargs)


class LogoutApi(APIView):
    """Blacklist a refresh token. Holding the token is the authority, so no access token is needed."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    class LogoutInputSerializer(serializers.Serializer):
        refresh = StrictCharField(trim_whitespace=False)

    def get_authenticate_header(self, request: Request) -> str:
        # An unusable refresh token is an authentication failure: answer 401, as the refresh endpoint does.
        return 'Bearer realm="api"'

    @extend_schema(
        request=LogoutInputSerializer,
        responses={205: None, 401: BAD_REFRESH_TOKEN},
        summary="Log out (revoke a refresh token)",
    )
    def post(self, request: Request) -> Response:
        data = self.LogoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            RefreshToken(data.validated_data["refresh"]).blacklist()
        except TokenError as error:
            raise InvalidToken(str(error)) from error
        return Response(status=status.HTTP_205_RESET_CONTENT)
