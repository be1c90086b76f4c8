from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.selectors import ledger_list, wallet_balance


class BalanceSerializer(serializers.Serializer):
    available = serializers.IntegerField()
    held = serializers.IntegerField()


class BalanceApi(APIView):
    @extend_schema(responses=BalanceSerializer, summary="Current credits")
    def get(self, request: Request) -> Response:
        return Response(BalanceSerializer(wallet_balance(user=request.user)).data)


class LedgerEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    amount = serializers.IntegerField(help_text="Signed change: in available credits, or in held ones for a capture.")
    available_after = serializers.IntegerField()
    held_after = serializers.IntegerField()
    description = serializers.CharField()
    period = serializers.CharField(help_text='For a monthly allowance, the month it is for ("2026-12"); else "".')
    screening_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()


class LedgerApi(ListAPIView):
    """Every change to the caller's credits, newest first."""

    serializer_class = LedgerEntrySerializer

    def get_queryset(self):
        return ledger_list(user=self.request.user)
