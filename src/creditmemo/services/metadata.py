"""Metadata of invoices and payments (issue 17): the caller's key-value map, the one part of these documents
that changes after they are issued or recorded. Each change is audited with before and after. (Memos: see
services/memos/edit.py, where the text changes too.)

Locks (docs/CONCURRENCY.md): the payment as its subject (step 1) or the invoice (step 2), nothing else."""

from __future__ import annotations

from dataclasses import replace

from creditmemo.domain.documents import Invoice
from creditmemo.domain.metadata import merge_metadata
from creditmemo.domain.settlement import Payment
from creditmemo.services import audit
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.uow import UnitOfWork


def update_invoice_metadata(uow: UnitOfWork, actor: Actor, invoice_id: str, patch: object) -> Invoice:
    authorize(actor, Permission.ISSUE_INVOICE)
    invoice = uow.invoices.get(actor.company_id, invoice_id, for_update=True)
    merged = merge_metadata(invoice.metadata, patch)
    if merged != dict(invoice.metadata):
        uow.invoices.save_metadata(actor.company_id, invoice.id, merged)
        audit.record(
            uow,
            actor,
            "invoice.metadata_updated",
            "invoice",
            invoice.id,
            {"metadata": [dict(invoice.metadata), merged]},
        )
    return replace(invoice, metadata=merged)


def update_payment_metadata(uow: UnitOfWork, actor: Actor, payment_id: str, patch: object) -> Payment:
    authorize(actor, Permission.RECORD_PAYMENT)
    payment = uow.payments.get(actor.company_id, payment_id, for_update=True)
    merged = merge_metadata(payment.metadata, patch)
    if merged != dict(payment.metadata):
        uow.payments.save_metadata(actor.company_id, payment.id, merged)
        audit.record(
            uow,
            actor,
            "payment.metadata_updated",
            "payment",
            payment.id,
            {"metadata": [dict(payment.metadata), merged]},
        )
    return replace(payment, metadata=merged)
