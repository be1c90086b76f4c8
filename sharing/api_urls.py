from django.urls import path

from sharing.api import FhirBundleApi, ShareLinkDetailApi, ShareLinkListCreateApi, ShareLinkRevokeApi

urlpatterns = [
    path("share-links/", ShareLinkListCreateApi.as_view(), name="api-share-link-list"),
    path("share-links/<uuid:link_id>/", ShareLinkDetailApi.as_view(), name="api-share-link-detail"),
    path("share-links/<uuid:link_id>/revoke/", ShareLinkRevokeApi.as_view(), name="api-share-link-revoke"),
    path("me/fhir-bundle/", FhirBundleApi.as_view(), name="api-fhir-bundle"),
]
