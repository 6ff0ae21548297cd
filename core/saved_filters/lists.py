"""Where each console list lives and who may open it: a saved filter is saved, shown and
opened only by a user who may see that list."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from .models import ConsoleList


@dataclass(frozen=True)
class ListPage:
    url_name: str
    permission: str

    def url(self, query: str = "") -> str:
        return reverse(self.url_name) + (f"?{query}" if query else "")


LIST_PAGES = {
    ConsoleList.INVOICES: ListPage("billing:invoice_list", "billing.view_invoice"),
    ConsoleList.PAYMENTS: ListPage("billing:payment_list", "billing.view_payment"),
    ConsoleList.CONTRACTS: ListPage("contract_list", "ordermgmt.view_contract"),
    ConsoleList.CUSTOMERS: ListPage("customer_list", "ordermgmt.view_account"),
}
