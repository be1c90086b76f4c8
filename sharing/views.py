"""The sharing page (create, list, revoke), the owner's FHIR bundle, and the shared page a clinician opens."""

from __future__ import annotations

import base64
import json
import math
from uuid import UUID

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.api import VALIDATION_MESSAGE, error_body
from core.throttling import ResilientSimpleRateThrottle, too_many_attempts
from sharing.fhir import summary_bundle
from sharing.forms import ShareLinkForm
from sharing.models import ShareLink, ShareOpening
from sharing.selectors import fhir_file_parts, share_link_list, shared_summary
from sharing.services import share_link_create, share_link_open, share_link_revoke, token_hash
from symptoms.fhir import CONTENT_TYPE, MAX_PAGE_SIZE, BundlePage, PageNotFound, bundle_page, page_url_for


class ShareLinkOpeningThrottle(ResilientSimpleRateThrottle):
    """Openings per link (keyed by the token's hash, so unknown tokens are counted the same way)."""

    scope = "share_link"

    def __init__(self, digest: str) -> None:
        super().__init__()
        self.digest = digest

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.digest}


def _private(response: HttpResponse) -> HttpResponse:
    """A shared page and its refusals: never stored by a cache, never indexed, never sent on as a Referer."""
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def qr_data_uri(text: str) -> str:
    """A QR code as an SVG data URI: drawn here (the qrcode library), allowed by the CSP's img-src data:."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode("ascii")


@never_cache
@login_required
def manage(request: HttpRequest) -> HttpResponse:
    form = ShareLinkForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = share_link_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            form = ShareLinkForm()
    context = {
        "form": form,
        "links": share_link_list(user=request.user),
        "now": timezone.now(),
        "created": created,
        # A long history downloads in several files (docs/sharing.md#fhir-bundle-pages): each offered by number.
        "fhir_parts": {
            kind: range(1, parts + 1) for kind, parts in fhir_file_parts(user=request.user, size=MAX_PAGE_SIZE).items()
        },
        "fhir_part_size": MAX_PAGE_SIZE,
    }
    if created is not None:
        url = request.build_absolute_uri(reverse("sharing:shared", args=[created.token]))
        context |= {"created_url": url, "created_qr": qr_data_uri(url)}
    response = render(request, "sharing/manage.html", context)
    return _private(response) if created else response


@never_cache
@login_required
@require_POST
def revoke(request: HttpRequest, link_id: UUID) -> HttpResponse:
    share_link_revoke(user=request.user, link_id=link_id)
    messages.success(request, _("The link is turned off. Nobody can open it any more."))
    return redirect("sharing:manage")


def _fhir_response(resource: dict, filename: str) -> HttpResponse:
    response = HttpResponse(json.dumps(resource, indent=2, ensure_ascii=False), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _page(request: HttpRequest) -> BundlePage | HttpResponse:
    """The Bundle page asked for (`_count`, `page`: symptoms.fhir), or a 400 in the API's one error shape."""
    try:
        return bundle_page(request.GET)
    except ValidationError as error:
        return JsonResponse(error_body(VALIDATION_MESSAGE, {"fields": error.message_dict}), status=400)


def _filename(stem: str, page: BundlePage) -> str:
    return f"{stem}.json" if page.number == 1 else f"{stem}-page-{page.number}.json"


@never_cache
@login_required
def fhir_bundle(request: HttpRequest) -> HttpResponse:
    """The owner's own Bundle, one page of it; `?estimates=1` adds the life-factor estimates."""
    page = _page(request)
    if isinstance(page, HttpResponse):
        return page
    try:
        bundle = summary_bundle(
            user=request.user,
            include_estimates=request.GET.get("estimates") == "1",
            page=page,
            url=page_url_for(request),
        )
    except PageNotFound as error:
        raise Http404("No such page.") from error
    return _fhir_response(bundle, _filename("mental-health-checker-fhir-bundle", page))


def _opened(request: HttpRequest, token: str, format: str, *, record: bool = True) -> ShareLink | HttpResponse:
    """The live link for the token, or the response that refuses it: 429 past the rate, else the one 410 page."""
    throttle = ShareLinkOpeningThrottle(token_hash(token))
    if not throttle.allow_request(request, None):
        return _private(too_many_attempts(math.ceil(throttle.wait() or 1)))
    user_agent = request.headers.get("User-Agent", "")
    link = share_link_open(token=token, user_agent=user_agent, format=format, record=record)
    if link is None:
        return _private(render(request, "sharing/gone.html", status=410))
    return link


def shared(request: HttpRequest, token: str) -> HttpResponse:
    link = _opened(request, token, ShareOpening.Format.PAGE)
    if isinstance(link, HttpResponse):
        return link
    with translation.override(link.language):
        context = {"link": link, "token": token, **shared_summary(link=link)}
        response = render(request, "sharing/shared.html", context)
    response["Content-Language"] = link.language
    return _private(response)


def shared_fhir(request: HttpRequest, token: str) -> HttpResponse:
    """One page of the link's Bundle. Every page counts against the link's rate; only the first is an opening."""
    page = _page(request)
    if isinstance(page, HttpResponse):
        return _private(page)
    link = _opened(request, token, ShareOpening.Format.FHIR, record=page.number == 1)
    if isinstance(link, HttpResponse):
        return link
    try:
        bundle = summary_bundle(
            user=link.owner,
            include_estimates=link.includes_estimates,
            page=page,
            url=page_url_for(request),
            patient_key=str(link.id),
            show_name=link.show_name,
            language=link.language,
        )
    except PageNotFound as error:
        raise Http404("No such page.") from error
    return _private(_fhir_response(bundle, _filename("shared-fhir-bundle", page)))
