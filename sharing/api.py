"""Share links over the API: list, create (the link's URL is in the answer once), one link, revoke; the Bundle."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import StrictBooleanField
from core.openapi import ErrorSerializer, ValidationErrorSerializer
from sharing.fhir import summary_bundle
from sharing.models import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS, ShareLink, ShareOpening
from sharing.selectors import share_link_get, share_link_list
from sharing.services import share_link_create, share_link_revoke
from symptoms.api import FhirContentNegotiation
from symptoms.fhir import (
    CONTENT_TYPE,
    COUNT_PARAMETER,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    PAGE_PARAMETER,
    PageNotFound,
    bundle_page,
    page_url_for,
)


class ShareOpeningSerializer(serializers.ModelSerializer):
    class Meta:
        model = ShareOpening
        fields = ["opened_at", "client", "format"]


class ShareLinkSerializer(serializers.ModelSerializer):
    live = serializers.SerializerMethodField()
    openings = ShareOpeningSerializer(many=True, read_only=True)

    class Meta:
        model = ShareLink
        fields = [
            "id",
            "contents",
            "language",
            "show_name",
            "created_at",
            "expires_at",
            "revoked_at",
            "live",
            "openings",
        ]

    def get_live(self, link: ShareLink) -> bool:
        return link.is_live(self.context["now"])


class CreatedShareLinkSerializer(ShareLinkSerializer):
    url = serializers.URLField(help_text="The link to hand over. Shown in this answer only: it is not stored.")
    fhir_url = serializers.URLField(help_text="The same data as a FHIR Bundle. Shown in this answer only.")

    class Meta(ShareLinkSerializer.Meta):
        fields = [*ShareLinkSerializer.Meta.fields, "url", "fhir_url"]


class ShareLinkCreateInputSerializer(serializers.Serializer):
    contents = serializers.ChoiceField(choices=ShareLink.Contents.choices, default=ShareLink.Contents.CHECKS)
    days = serializers.IntegerField(min_value=MIN_DAYS, max_value=MAX_DAYS, default=DEFAULT_DAYS)
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
    show_name = StrictBooleanField(default=True)


def _now() -> dict:
    return {"now": timezone.now()}


class ShareLinkListCreateApi(ListAPIView):
    serializer_class = ShareLinkSerializer

    def get_queryset(self):
        return share_link_list(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **_now()}

    @extend_schema(summary="Your share links, newest first, each with its openings")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ShareLinkCreateInputSerializer,
        responses={201: CreatedShareLinkSerializer, 400: ValidationErrorSerializer},
        summary="Create a link to a read-only copy of your clinician summary (its URL is shown once)",
    )
    def post(self, request: Request) -> Response:
        data = ShareLinkCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = share_link_create(user=request.user, **data.validated_data)
        link = created.link
        link.url = request.build_absolute_uri(reverse("sharing:shared", args=[created.token]))
        link.fhir_url = request.build_absolute_uri(reverse("sharing:shared-fhir", args=[created.token]))
        body = CreatedShareLinkSerializer(link, context=_now()).data
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class ShareLinkDetailApi(APIView):
    @extend_schema(responses={200: ShareLinkSerializer, 404: ErrorSerializer}, summary="One of your share links")
    def get(self, request: Request, link_id) -> Response:
        return Response(ShareLinkSerializer(share_link_get(user=request.user, link_id=link_id), context=_now()).data)


class ShareLinkRevokeApi(APIView):
    @extend_schema(
        request=None,
        responses={200: ShareLinkSerializer, 404: ErrorSerializer},
        summary="Turn a share link off at once (a link already off stays off)",
    )
    def post(self, request: Request, link_id) -> Response:
        share_link_revoke(user=request.user, link_id=link_id)
        return Response(ShareLinkSerializer(share_link_get(user=request.user, link_id=link_id), context=_now()).data)


class FhirBundleApi(APIView):
    content_negotiation_class = FhirContentNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter("estimates", type=bool, required=False, description="Add the life-factor estimates"),
            OpenApiParameter(
                COUNT_PARAMETER,
                type={"type": "integer", "minimum": 1},
                required=False,
                description=f"Records per page (a check with its total, or an estimate with its answers): "
                f"{DEFAULT_PAGE_SIZE} unless asked; at most {MAX_PAGE_SIZE} are sent, whatever is asked.",
            ),
            OpenApiParameter(
                PAGE_PARAMETER,
                type={"type": "integer", "minimum": 1},
                required=False,
                description="Which page, from 1. Follow the Bundle's `next` link rather than counting.",
            ),
        ],
        responses={
            (200, "application/fhir+json"): OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="One page of a FHIR R4 collection Bundle: QuestionnaireResponses (checks oldest first, "
                "then estimates), their totals as Observations, RiskAssessments (with estimates=true), and on "
                "every page the Patient, the software as a Device and a Provenance for the page's resources, so "
                "each page is filed alone. `link` holds `self`, `first`, `previous`, `next` and `last` "
                "(docs/sharing.md#fhir-bundle-pages)",
            )
        },
        summary="Your symptom checks (and estimates) as HL7 FHIR R4 Bundles, a page at a time",
    )
    def get(self, request: Request) -> HttpResponse:
        estimates = request.query_params.get("estimates", "false")
        if estimates not in ("true", "false"):  # the schema's boolean, as a query string writes it
            raise ValidationError({"estimates": [StrictBooleanField.default_error_messages["invalid"]]})
        try:
            bundle = summary_bundle(
                user=request.user,
                include_estimates=estimates == "true",
                page=bundle_page(request.query_params),
                url=page_url_for(request),
            )
        except PageNotFound as error:
            raise NotFound(_("There is no such page.")) from error
        return HttpResponse(json.dumps(bundle, indent=2, ensure_ascii=False), content_type=CONTENT_TYPE)
